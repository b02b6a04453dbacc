"""Reliability (calibration) of scores: does a higher score mean a likelier right code?"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from narratives.evaluation.records import Reliability

HIGH_SCORE = 0.8
"""The issue's calibration goal: at least 80% right among assignments scored ≥ 0.8."""


def reliability(
    scores: Sequence[float],
    correct: Sequence[bool],
    assigned: Sequence[bool],
    *,
    bins: int = 10,
    high_threshold: float = HIGH_SCORE,
) -> Reliability:
    """Bin ``scores`` into ``bins`` equal-width bins over [0, 1] and compare score with accuracy.

    Bins are ``[0, 0.1), [0.1, 0.2), …, [0.9, 1.0]`` (the last one closed). ``correct`` says
    whether each passage's top choice matches gold; ``assigned`` whether it cleared the
    threshold. Empty bins are kept (``n = 0``, mean score and accuracy empty) so every
    table has the same rows.
    """
    s = np.clip(np.asarray(scores, dtype=np.float64), 0.0, 1.0)
    ok = np.asarray(correct, dtype=bool)
    given = np.asarray(assigned, dtype=bool)
    which = np.minimum((s * bins).astype(np.int64), bins - 1)
    rows = []
    ece = 0.0
    for b in range(bins):
        mask = which == b
        n = int(mask.sum())
        mean_score = float(s[mask].mean()) if n else None
        accuracy = float(ok[mask].mean()) if n else None
        if n and mean_score is not None and accuracy is not None:
            ece += n / len(s) * abs(accuracy - mean_score)
        lower, upper = b / bins, (b + 1) / bins
        rows.append({
            "bin": f"[{lower:.1f}, {upper:.1f}{']' if b == bins - 1 else ')'}",
            "lower": lower, "upper": upper, "n": n, "assigned": int(given[mask].sum()),
            "mean_score": None if mean_score is None else round(mean_score, 4),
            "accuracy": None if accuracy is None else round(accuracy, 4),
        })
    high = given & (s >= high_threshold)
    high_n = int(high.sum())
    return Reliability(
        table=pd.DataFrame(rows),
        ece=float(ece),
        high_threshold=high_threshold,
        high_n=high_n,
        high_accuracy=float(ok[high].mean()) if high_n else None,
    )


THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def threshold_table(scores: Sequence[float], correct: Sequence[bool]) -> pd.DataFrame:
    """For each threshold: how many units score at least it (``coverage``) and how many of those
    are right (``precision``), to pick the threshold that gives, say, 90% precision."""
    s = np.asarray(scores, dtype=np.float64)
    ok = np.asarray(correct, dtype=bool)
    rows = []
    for t in THRESHOLDS:
        kept = s >= t
        rows.append({
            "threshold": t, "units": int(kept.sum()), "coverage": round(float(kept.mean()), 4) if len(s) else 0.0,
            "precision": round(float(ok[kept].mean()), 4) if kept.any() else None,
        })
    return pd.DataFrame(rows)
