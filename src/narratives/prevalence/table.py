"""``prevalence.csv``: the share of coded segments carrying each theme and subtheme, overall and per
group, corrected by a verified random sample, with 95% intervals.

Per code and group, ``Y`` is whether the coder gave the segment that code (for a theme: the theme
or one of its subthemes) and ``Ŷ`` whether the machine did; :func:`ppi_share` combines the
machine's labels on all of the group's coded segments with the verified ones among them. A sample
stratified by a column is combined stratum by stratum (weights: the strata's sizes) for the
``overall`` rows. Groups without a verified segment keep the machine's share and no interval.

The share of *participants* mentioning a code cannot be estimated from a sample of segments (a
participant's mention may rest on any of their segments). Each row gives instead the machine's
count, ``participants`` of ``group_participants``, and ``participants_verified``: those with at
least one verified segment carrying the code, so at least that many do mention it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from narratives.loaders.participants import attribute_groups, participant_keys
from narratives.models import UNASSIGNED, Codebook
from narratives.prevalence.estimator import Z95, Estimate, ppi_share, sample_size_for
from narratives.prevalence.records import VerifiedSample

__all__ = ["COLUMNS", "MACHINE_ONLY", "PPI", "Prevalence", "interval_text", "overall_themes", "prevalence_table"]

COLUMNS = [
    "breakdown", "group", "level", "code", "n_segments", "machine_share", "share", "low", "high",
    "n_verified", "method", "machine_weight", "participants", "group_participants", "participants_verified", "note",
]
PPI = "prediction-powered (PPI++)"
MACHINE_ONLY = "machine labels, not verified"
THIN = 10
"""Fewer verified segments than this in a group: its share rests on a handful of judgements, and says so."""


@dataclass(frozen=True)
class Prevalence:
    """The table, and what a reader needs beside it."""

    table: pd.DataFrame
    widest: dict[str, object]
    """The overall row with the widest interval: code, half_width, and the random sample size
    that would bring it under ±5 points (``n_for_5_points``)."""


def overall_themes(table: pd.DataFrame) -> pd.DataFrame:
    """The theme rows of the ``overall`` breakdown (``unassigned`` included), as the summaries show them."""
    return table[(table["breakdown"] == "overall") & (table["level"] == "theme")]


def interval_text(share: float, low: float, high: float) -> str:
    """``23.1% [17.0%, 29.2%]``."""
    return f"{share:.1%} [{low:.1%}, {high:.1%}]"


def _labels(segments: pd.DataFrame, verified: VerifiedSample, codebook: Codebook, code: str, level: str
            ) -> tuple[np.ndarray, np.ndarray]:
    """``Ŷ`` on every segment, and ``Y`` on every segment (NaN where not verified)."""
    parents = {e.id: e.parent for e in codebook.entries}
    if level == "theme" and code == UNASSIGNED:
        machine = segments["theme"].eq(UNASSIGNED)
    elif level == "theme":
        machine = segments["theme"].eq(code)
    else:
        machine = segments["subtheme"].eq(code)
    human = np.full(len(segments), np.nan)
    for i, seg in enumerate(segments["segment_id"].astype(str)):
        codes = verified.codes.get(seg)
        if codes is None:
            continue
        if code == UNASSIGNED:
            human[i] = float(not codes)
        elif level == "theme":
            human[i] = float(any(c == code or parents.get(c) == code for c in codes))
        else:
            human[i] = float(code in codes)
    return machine.to_numpy(dtype=float), human


def _estimate(machine: np.ndarray, human: np.ndarray, strata: np.ndarray | None) -> Estimate | None:
    seen = ~np.isnan(human)
    if not seen.any():
        return None
    if strata is None:
        return ppi_share(human[seen], machine[seen], machine)
    parts: list[tuple[int, Estimate | None]] = []
    for value in np.unique(strata):
        inside = strata == value
        if (seen & inside).any():
            parts.append((int(inside.sum()), ppi_share(human[seen & inside], machine[seen & inside], machine[inside])))
        else:  # a stratum the sample missed: its machine share, no correction
            parts.append((int(inside.sum()), None))
    total = sum(n for n, _ in parts)
    share = sum(n / total * (e.share if e else float(machine[strata == v].mean()))
                for (n, e), v in zip(parts, np.unique(strata), strict=True))
    se = math.sqrt(sum((n / total * e.std_error) ** 2 for n, e in parts if e is not None))
    lam = float(np.mean([e.lam for _, e in parts if e is not None]))
    return Estimate(share, max(0.0, share - Z95 * se), min(1.0, share + Z95 * se), float(machine.mean()),
                    int(seen.sum()), len(machine), lam, se)


def prevalence_table(segments: pd.DataFrame, codebook: Codebook, verified: VerifiedSample,
                     by: Sequence[str] = ()) -> Prevalence:
    """One row per (breakdown, group, level, code), in codebook order, with the columns in ``COLUMNS``."""
    coded = segments[segments["status"] == "coded"].reset_index(drop=True)
    strata_column = verified.sample.strata if verified.sample is not None else ""
    for column in (*by, *([strata_column] if strata_column else [])):
        if column not in coded.columns:
            raise KeyError(column)
    codes = [(c, level) for t in codebook.themes
             for c, level in [(t.id, "theme"), *((s.id, "subtheme") for s in codebook.subthemes(t.id))]]
    codes.append((UNASSIGNED, "theme"))
    groups: list[tuple[str, str, np.ndarray]] = [("overall", "all", np.ones(len(coded), dtype=bool))]
    for column in by:
        values = attribute_groups(coded, column)
        groups += [(column, v, (values == v).to_numpy()) for v in sorted(set(values))]
    strata = coded[strata_column].fillna("").astype(str).to_numpy() if strata_column else None
    people = participant_keys(coded).to_numpy()
    rows, overall = [], []
    for code, level in codes:
        machine, human = _labels(coded, verified, codebook, code, level)
        for breakdown, group, inside in groups:
            use_strata = strata if breakdown == "overall" else None
            est = _estimate(machine[inside], human[inside], use_strata)
            rows.append({**_row(breakdown, group, level, code, machine[inside], est),
                         **_participants(people[inside], machine[inside], human[inside])})
            if breakdown == "overall" and est is not None:
                overall.append((code, level, est))
    return Prevalence(pd.DataFrame(rows, columns=COLUMNS), _widest(overall))


def _row(breakdown: str, group: str, level: str, code: str, machine: np.ndarray, est: Estimate | None) -> dict:
    base = {"breakdown": breakdown, "group": group, "level": level, "code": code, "n_segments": len(machine),
            "machine_share": round(float(machine.mean()), 4) if len(machine) else 0.0}
    if est is None:
        return {**base, "share": base["machine_share"], "low": None, "high": None, "n_verified": 0,
                "method": MACHINE_ONLY, "machine_weight": None, "note": "no verified segment in this group"}
    thin = (f"only {est.n_verified} verified segment{'s' if est.n_verified != 1 else ''}: the share rests on "
            f"{'them' if est.n_verified != 1 else 'it'}; quote the interval, not the share"
            if est.n_verified < THIN else "")
    return {**base, "share": round(est.share, 4), "low": round(est.low, 4), "high": round(est.high, 4),
            "n_verified": est.n_verified, "method": PPI, "machine_weight": round(est.lam, 3), "note": thin}


def _participants(people: np.ndarray, machine: np.ndarray, human: np.ndarray) -> dict[str, int]:
    named = np.array([p is not None for p in people], dtype=bool)
    return {"participants": len(set(people[named & (machine == 1)])),
            "group_participants": len(set(people[named])),
            "participants_verified": len(set(people[named & (human == 1)]))}


def _widest(overall: list[tuple[str, str, Estimate]]) -> dict[str, object]:
    if not overall:
        return {}
    code, level, est = max(overall, key=lambda r: r[2].half_width)
    return {"code": code, "level": level, "half_width": round(est.half_width, 4), "n_verified": est.n_verified,
            "n_for_5_points": sample_size_for(est, 0.05)}
