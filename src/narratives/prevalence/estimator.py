"""Prediction-powered estimates of a share: the machine's labels on every segment, corrected by a
uniformly random sample a coder verified.

The estimand is the share of a finite population (a corpus' coded segments) that carries a code:
``θ = mean(Y)`` over all ``N`` segments, where ``Y`` is what a coder would say. The machine's label
``Ŷ`` (0/1) is known for all of them; ``Y`` only for a simple random sample of ``n``. The estimate

    θ̂ = λ·mean_all(Ŷ) + mean_sample(Y − λ·Ŷ)

is unbiased for any fixed ``λ`` (the machine's errors on the sample correct its count on the
whole corpus): ``λ = 0`` is the verified sample alone, ``λ = 1`` prediction-powered inference
(Angelopoulos et al., Science 2023), and the variance-minimising ``λ = Cov(Y, Ŷ) / Var(Ŷ)``,
estimated on the sample and clipped to [0, 1], is PPI++ (Angelopoulos, Duchi & Zrnic 2023) —
the regression estimator of survey sampling. A machine that is often wrong earns a
small ``λ`` and the interval falls back to the verified sample's own; it is never wider.

The 95% interval is the normal one with the finite-population correction ``1 − n/N`` (sampling
without replacement from the corpus). ``population="super"`` instead treats the corpus as a draw
from a larger population, as ``ppi-python``'s ``ppi_mean_ci`` does (the tests check the two agree).

Small samples: a normal interval on few positives, or on few disagreements between coder and
machine, can be far too narrow (all-zero differences give width 0). The variance used is never
below the one on the sample plus four pseudo-segments, one of each (coder, machine) combination —
Agresti and Coull's "add two successes and two failures" — so a rare code seen in no verified
segment still gets an honest upper bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["Estimate", "Population", "planned_sample_size", "ppi_share", "sample_size_for"]

Population = Literal["finite", "super"]
Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Estimate:
    """A share with its 95% interval, and how it was reached."""

    share: float
    low: float
    high: float
    machine_share: float
    n_verified: int
    n_population: int
    lam: float
    """Weight on the machine's labels (0: the verified sample alone; 1: plain PPI)."""
    std_error: float

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


def ppi_share(
    verified: ArrayLike,
    machine_on_verified: ArrayLike,
    machine_on_all: ArrayLike,
    *,
    lam: float | None = None,
    population: Population = "finite",
    z: float = Z95,
) -> Estimate:
    """The corrected share of segments carrying a code, with its interval.

    Args:
        verified: 0/1, the coder's label on each verified segment (a uniform random sample).
        machine_on_verified: 0/1, the machine's label on the same segments, in the same order.
        machine_on_all: 0/1, the machine's label on every segment of the population (the
            verified ones included).
        lam: fixed weight on the machine's labels; ``None`` estimates the best one (PPI++).
        population: ``"finite"`` (the corpus itself, default) or ``"super"`` (ppi-python's).
        z: the normal quantile (1.96 for 95%).
    """
    y = np.asarray(verified, dtype=float)
    yhat = np.asarray(machine_on_verified, dtype=float)
    pop = np.asarray(machine_on_all, dtype=float)
    n, big_n = len(y), len(pop)
    if n != len(yhat):
        raise ValueError("verified and machine_on_verified differ in length")
    if n == 0 or big_n == 0:
        raise ValueError("no verified segments or no population")
    machine = float(pop.mean())
    if lam is None:
        lam = _best_lambda(y, yhat, pop, population)
    diff = y - lam * yhat
    share = lam * machine + float(diff.mean())
    if population == "super":
        var = (lam**2) * float(pop.var()) / big_n + float(diff.var()) / n
    else:
        fpc = max(0.0, 1.0 - n / big_n)
        var = fpc * _residual_variance(y, yhat, diff, lam) / n
    se = math.sqrt(max(var, 0.0))
    low, high = max(0.0, share - z * se), min(1.0, share + z * se)
    # the correction can overshoot [0, 1] on a small sample; a share outside it is never reported
    return Estimate(min(1.0, max(0.0, share)), low, high, machine, n, big_n, float(lam), se)


def _best_lambda(y: np.ndarray, yhat: np.ndarray, pop: np.ndarray, population: Population) -> float:
    n, big_n = len(y), len(pop)
    if n < 2:
        return 0.0
    if population == "super":  # ppi-python's choice for a mean (its _calc_lam_glm with clip=True)
        cov = float(((y - y.mean()) * (yhat - yhat.mean())).mean())
        var = float(np.cov(np.concatenate([yhat, pop]))) * (1 + n / big_n)
    else:  # the regression estimator's slope: the sample's own covariance over its own variance
        matrix = np.cov(y, yhat)
        cov, var = float(matrix[0, 1]), float(matrix[1, 1])
    return 0.0 if var <= 0 else float(np.clip(cov / var, 0.0, 1.0))


def _residual_variance(y: np.ndarray, yhat: np.ndarray, diff: np.ndarray, lam: float) -> float:
    """The sample variance of ``Y − λŶ``, never below its variance on the sample plus one pseudo-segment
    of each (coder, machine) combination — Agresti–Coull's "add two successes and two failures",
    which for ``λ = 0`` is exactly their ``(k + 2) / (n + 4)`` (see the module text)."""
    observed = float(diff.var(ddof=1)) if len(y) > 1 else 0.0
    padded = np.concatenate([diff, np.array([1.0, 0.0, 1.0, 0.0]) - lam * np.array([1.0, 1.0, 0.0, 0.0])])
    return max(observed, float(padded.var(ddof=1)))


def sample_size_for(estimate: Estimate, half_width: float = 0.05, z: float = Z95) -> int:
    """Verified segments needed for this share's interval to be at most ±``half_width``, at the same
    residual variance (the machine as good as on this sample); the population size caps it."""
    big_n = estimate.n_population
    if estimate.std_error <= 0:
        return estimate.n_verified
    fpc = max(1e-12, 1.0 - estimate.n_verified / big_n)
    s2 = (estimate.std_error**2) * estimate.n_verified / fpc  # per-segment residual variance
    return _finite(s2 * (z / half_width) ** 2, big_n)


def planned_sample_size(shares: ArrayLike, population: int, half_width: float = 0.05, z: float = Z95) -> int:
    """Verified random segments that bring every share's 95% interval within ±``half_width`` before
    any is verified: the verified sample's own interval at the share nearest one half (the
    machine's labels, if they agree with the coder, only narrow it)."""
    values = np.asarray(shares, dtype=float)
    if population <= 0:
        return 0
    p = float(values[np.argmin(np.abs(values - 0.5))]) if len(values) else 0.5
    return _finite(z**2 * max(p * (1 - p), 0.01) / half_width**2, population)


def _finite(n0: float, population: int) -> int:
    """The sample size ``n0`` of an infinite population, for one of ``population`` (without replacement)."""
    return min(population, math.ceil(n0 / (1 + n0 / population)))
