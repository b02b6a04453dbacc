"""Scores for units that carry several codes (multi-label gold): micro- and macro-F1 over sets.

- **micro-F1**: ``2·TP / (|gold| + |predicted|)`` summed over every (unit, code);
- **macro-F1**: F1 per gold code (``2·tp / (support + predicted)``), averaged over the codes
  that occur in the gold sets; a code only ever predicted costs precision in micro-F1;
- **exact match**: the share of units whose predicted set equals the gold set;
- per code: precision, recall, F1, support and how often it was predicted.

Intervals are percentile-bootstrap 95% over units (the same resamples as the other levels).
scikit-learn's ``f1_score(average="micro"|"macro")`` on binarised sets gives the same points
(``tests/evaluation/test_sets.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from narratives.evaluation.records import Estimate

__all__ = ["SetScores", "set_scores"]


@dataclass(frozen=True)
class SetScores:
    """Agreement of predicted code sets with gold sets at one level (``code`` or ``theme``)."""

    level: str
    n: int
    micro_f1: Estimate
    macro_f1: Estimate
    exact_match: Estimate
    gold_per_unit: float
    predicted_per_unit: float
    per_code: pd.DataFrame

    def as_dict(self) -> dict[str, Any]:
        """The headline metrics of this level for ``summary.json``."""
        return {
            "n": self.n, "micro_f1": self.micro_f1.as_dict(), "macro_f1": self.macro_f1.as_dict(),
            "exact_match": self.exact_match.as_dict(), "gold_per_unit": round(self.gold_per_unit, 4),
            "predicted_per_unit": round(self.predicted_per_unit, 4),
        }


def _binarise(sets: Sequence[Sequence[str]], labels: list[str]) -> NDArray[np.bool_]:
    col = {c: j for j, c in enumerate(labels)}
    out = np.zeros((len(sets), len(labels)), dtype=bool)
    for i, codes in enumerate(sets):
        for c in codes:
            out[i, col[c]] = True
    return out


def _scores(g: NDArray[np.bool_], p: NDArray[np.bool_], rows: NDArray[np.int64]) -> tuple[float, float, float]:
    gs, ps = g[rows], p[rows]
    tp = (gs & ps).sum(axis=0).astype(np.float64)
    support, predicted = gs.sum(axis=0), ps.sum(axis=0)
    denom = support.sum() + predicted.sum()
    micro = 2 * tp.sum() / denom if denom else 1.0
    has = support > 0
    f1 = np.divide(2 * tp, support + predicted, out=np.zeros_like(tp), where=(support + predicted) > 0)
    macro = float(f1[has].mean()) if has.any() else 0.0
    exact = float((gs == ps).all(axis=1).mean())
    return float(micro), macro, exact


def set_scores(
    level: str,
    gold: Sequence[Sequence[str]],
    predicted: Sequence[Sequence[str]],
    *,
    indices: NDArray[np.int64] | None = None,
) -> SetScores:
    """All set metrics of one level; intervals from the bootstrap ``indices`` ``(B, n)`` when given."""
    labels = sorted({c for s in gold for c in s} | {c for s in predicted for c in s})
    g, p = _binarise(gold, labels), _binarise(predicted, labels)
    point = _scores(g, p, np.arange(len(gold)))
    estimates = [Estimate(v) for v in point]
    if indices is not None and len(indices):
        boot = np.array([_scores(g, p, rows) for rows in indices])
        estimates = [
            Estimate(v, float(np.percentile(boot[:, k], 2.5)), float(np.percentile(boot[:, k], 97.5)))
            for k, v in enumerate(point)
        ]
    tp = (g & p).sum(axis=0)
    support, times = g.sum(axis=0), p.sum(axis=0)
    precision = np.divide(tp, times, out=np.zeros(len(labels)), where=times > 0)
    recall = np.divide(tp, support, out=np.zeros(len(labels)), where=support > 0)
    f1 = np.divide(2 * tp, support + times, out=np.zeros(len(labels)), where=(support + times) > 0)
    per_code = pd.DataFrame({
        "code": labels, "precision": np.round(precision, 3), "recall": np.round(recall, 3), "f1": np.round(f1, 3),
        "support": support.astype(int), "predicted": times.astype(int),
    })
    per_code = per_code[per_code["support"] > 0].reset_index(drop=True)
    return SetScores(
        level=level, n=len(gold), micro_f1=estimates[0], macro_f1=estimates[1], exact_match=estimates[2],
        gold_per_unit=float(g.sum(axis=1).mean()) if len(gold) else 0.0,
        predicted_per_unit=float(p.sum(axis=1).mean()) if len(gold) else 0.0, per_code=per_code,
    )
