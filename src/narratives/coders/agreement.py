"""Agreement between coders, and between coders and the machine.

Units are the candidate quotes (segments) that were put in front of coders. Each rater
(``machine`` and every coder) gives a unit one nominal code, or nothing (missing).
Agreement is computed only on units both sides of a pair coded; units nobody coded, and
the rest of the text, never enter the tables (so uncoded text cannot inflate kappa).

- **Percent agreement**: share of units both coded where the codes are equal.
- **Cohen's kappa**: ``(p_o - p_e) / (1 - p_e)``, ``p_e`` from each rater's own code
  shares.
- **Gwet's AC1**: ``(p_o - p_e) / (1 - p_e)``, ``p_e = Σ π_k (1 - π_k) / (Q - 1)`` with
  ``π_k`` the mean share of code ``k`` over both raters and ``Q`` the number of codes
  either rater used (at least 2). Stable where kappa collapses because one code dominates.
- **Krippendorff's alpha** (nominal): ``1 - D_o / D_e`` from the coincidence matrix,
  over all raters at once; units with fewer than two codes are left out (missing data
  allowed).
- **95% intervals**: percentile bootstrap over units (``reps`` resamples, seeded).
- **Per code**: the same figures on the yes/no question "is it code c?", over the units
  both raters coded.

A coefficient is ``nan`` where it is undefined (e.g. kappa when both raters used one
code only); tables show it as empty.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Interval",
    "Labels",
    "bootstrap",
    "cohen_kappa",
    "gwet_ac1",
    "krippendorff_alpha",
    "percent_agreement",
]

Labels = Sequence[str | None]


@dataclass(frozen=True, slots=True)
class Interval:
    """A coefficient and its bootstrap 95% interval."""

    value: float
    low: float
    high: float

    def __str__(self) -> str:
        if math.isnan(self.value):
            return "n/a"
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


def _paired(a: Labels, b: Labels) -> tuple[list[str], list[str]]:
    pairs = [(x, y) for x, y in zip(a, b, strict=True) if x is not None and y is not None]
    return [x for x, _ in pairs], [y for _, y in pairs]


def percent_agreement(a: Labels, b: Labels) -> float:
    x, y = _paired(a, b)
    return float(np.mean([p == q for p, q in zip(x, y, strict=True)])) if x else math.nan


def cohen_kappa(a: Labels, b: Labels) -> float:
    x, y = _paired(a, b)
    if not x:
        return math.nan
    cats = sorted(set(x) | set(y))
    n = len(x)
    po = sum(p == q for p, q in zip(x, y, strict=True)) / n
    pe = sum((x.count(c) / n) * (y.count(c) / n) for c in cats)
    return math.nan if pe >= 1.0 else (po - pe) / (1.0 - pe)


def gwet_ac1(a: Labels, b: Labels) -> float:
    x, y = _paired(a, b)
    if not x:
        return math.nan
    cats = sorted(set(x) | set(y))
    q = max(len(cats), 2)
    n = len(x)
    po = sum(p == r for p, r in zip(x, y, strict=True)) / n
    pi = [(x.count(c) + y.count(c)) / (2 * n) for c in cats]
    pe = sum(p * (1 - p) for p in pi) / (q - 1)
    return math.nan if pe >= 1.0 else (po - pe) / (1.0 - pe)


def krippendorff_alpha(ratings: Sequence[Labels]) -> float:
    """Nominal alpha; ``ratings[r][u]`` is rater r's code for unit u, or ``None``."""
    if not ratings:
        return math.nan
    n_units = len(ratings[0])
    cats: dict[str, int] = {}
    for rater in ratings:
        for v in rater:
            if v is not None:
                cats.setdefault(v, len(cats))
    if not cats:
        return math.nan
    o = np.zeros((len(cats), len(cats)))
    for u in range(n_units):
        values = [cats[r[u]] for r in ratings if r[u] is not None]  # type: ignore[index]
        m = len(values)
        if m < 2:
            continue
        counts = np.bincount(values, minlength=len(cats)).astype(float)
        o += (np.outer(counts, counts) - np.diag(counts)) / (m - 1)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    if n <= 1:
        return math.nan
    d_o = (n - np.trace(o)) / n
    d_e = (n * n - (n_c**2).sum()) / (n * (n - 1))
    return math.nan if d_e == 0 else float(1.0 - d_o / d_e)


def bootstrap(
    statistic: Callable[[np.ndarray], float], n_units: int, *, reps: int = 1000, seed: int = 42
) -> Interval:
    """``statistic(unit_indices)`` with a percentile bootstrap 95% interval over units."""
    value = statistic(np.arange(n_units))
    if n_units == 0 or math.isnan(value):
        return Interval(value, math.nan, math.nan)
    rng = np.random.default_rng(seed)
    draws = np.array([statistic(rng.integers(0, n_units, n_units)) for _ in range(reps)])
    draws = draws[~np.isnan(draws)]
    if len(draws) == 0:
        return Interval(value, math.nan, math.nan)
    low, high = np.percentile(draws, [2.5, 97.5])
    return Interval(value, float(low), float(high))
