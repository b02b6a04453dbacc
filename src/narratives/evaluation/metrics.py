"""Agreement metrics at one codebook level: point estimates, bootstrap intervals and tables.

Point estimates use scikit-learn (``accuracy_score``, ``f1_score``, ``cohen_kappa_score``).
The bootstrap needs the same three numbers for every resample, so it computes them from
per-resample confusion matrices in one vectorised pass (:func:`scores_from_confusion`);
tests check that these formulas agree with scikit-learn.

Conventions, as in earlier versions: a prediction of ``unassigned`` is a label of its own
and always wrong; macro-F1 averages over the gold codes (those with support), so a code
that is only ever predicted lowers precision of nothing but still costs recall elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from narratives.evaluation.records import Estimate, LevelScores
from narratives.models import UNASSIGNED

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

DEFAULT_RESAMPLES = 1000


def cohen_kappa(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Cohen's kappa (scikit-learn); 1.0 when gold and predictions use one and the same label."""
    from sklearn.metrics import cohen_kappa_score

    if len(set(gold) | set(predicted)) <= 1:
        return 1.0
    return float(cohen_kappa_score(list(gold), list(predicted)))


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """F1 averaged over the gold codes (scikit-learn, ``zero_division=0``)."""
    from sklearn.metrics import f1_score

    labels = sorted(set(gold))
    return float(f1_score(list(gold), list(predicted), labels=labels, average="macro", zero_division=0))


def confusion_frame(gold: Sequence[str], predicted: Sequence[str], columns: Sequence[str] = ()) -> pd.DataFrame:
    """Counts of gold (rows) × predicted (columns); ``unassigned`` is always the last column.

    ``columns`` lists codes to show even if never predicted (e.g. every codebook entry).
    """
    rows = sorted(set(gold))
    cols = [*sorted((set(columns) | set(predicted) | set(gold)) - {UNASSIGNED}), UNASSIGNED]
    frame = pd.crosstab(pd.Series(list(gold), name="gold"), pd.Series(list(predicted), name="predicted"))
    frame = frame.reindex(index=rows, columns=cols, fill_value=0).astype(int)
    frame.columns.name = None
    return frame


def per_code_frame(gold: Sequence[str], predicted: Sequence[str]) -> pd.DataFrame:
    """Precision, recall, F1, support and predicted count for every gold code."""
    from sklearn.metrics import precision_recall_fscore_support

    labels = sorted(set(gold))
    p, r, f, s = precision_recall_fscore_support(list(gold), list(predicted), labels=labels, zero_division=0)
    counts = pd.Series(list(predicted)).value_counts()
    return pd.DataFrame({
        "code": labels,
        "precision": np.round(p, 3),
        "recall": np.round(r, 3),
        "f1": np.round(f, 3),
        "support": s.astype(int),
        "predicted": [int(counts.get(c, 0)) for c in labels],
    })


def scores_from_confusion(matrices: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Accuracy, macro-F1 and Cohen's kappa for a stack of confusion matrices ``(B, L, L)``.

    Macro-F1 averages over labels with gold support in each matrix; per label
    ``F1 = 2·tp / (support + predicted)``, the same as scikit-learn with ``zero_division=0``.
    Kappa is ``(p_o - p_e) / (1 - p_e)``, and 1.0 where ``p_e == 1`` (one label throughout).
    """
    m = matrices.astype(np.float64)
    n = m.sum(axis=(1, 2))
    tp = np.diagonal(m, axis1=1, axis2=2)
    support = m.sum(axis=2)
    pred = m.sum(axis=1)
    accuracy = tp.sum(axis=1) / n
    denom = support + pred
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    has_support = support > 0
    macro = (f1 * has_support).sum(axis=1) / np.maximum(has_support.sum(axis=1), 1)
    p_e = (support * pred).sum(axis=1) / (n * n)
    safe = np.where(p_e < 1.0, 1.0 - p_e, 1.0)
    kappa = np.where(p_e < 1.0, (accuracy - p_e) / safe, 1.0)
    return accuracy, macro, kappa


def bootstrap_confusions(gold: IntArray, predicted: IntArray, n_labels: int, indices: IntArray) -> IntArray:
    """Confusion matrices ``(B, L, L)`` of the resamples whose row indices are ``indices`` ``(B, n)``."""
    b = indices.shape[0]
    cells = gold[indices] * n_labels + predicted[indices] + (np.arange(b)[:, None] * n_labels * n_labels)
    counts = np.bincount(cells.ravel(), minlength=b * n_labels * n_labels)
    return counts.reshape(b, n_labels, n_labels).astype(np.int64)


def resample_indices(n: int, resamples: int, seed: int) -> IntArray:
    """Row indices of ``resamples`` bootstrap resamples of ``n`` passages (seeded)."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, n, size=(resamples, n), dtype=np.int64)


def _interval(values: FloatArray) -> tuple[float, float]:
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def level_scores(
    level: str,
    gold: Sequence[str],
    predicted: Sequence[str],
    *,
    indices: IntArray | None = None,
    columns: Sequence[str] = (),
) -> LevelScores:
    """All metrics of one level; intervals from the bootstrap ``indices`` when given.

    Pass the same ``indices`` to every level so their intervals come from the same resamples.
    """
    from sklearn.metrics import accuracy_score

    gold, predicted = list(gold), list(predicted)
    point = (float(accuracy_score(gold, predicted)), macro_f1(gold, predicted), cohen_kappa(gold, predicted))
    estimates = [Estimate(v) for v in point]
    if indices is not None and len(indices):
        labels = sorted(set(gold) | set(predicted))
        code = {label: i for i, label in enumerate(labels)}
        g = np.array([code[x] for x in gold], dtype=np.int64)
        p = np.array([code[x] for x in predicted], dtype=np.int64)
        boot = scores_from_confusion(bootstrap_confusions(g, p, len(labels), indices))
        estimates = [Estimate(v, *_interval(values)) for v, values in zip(point, boot, strict=True)]
    assigned = [(g, p) for g, p in zip(gold, predicted, strict=True) if p != UNASSIGNED]
    return LevelScores(
        level=level,
        n=len(gold),
        accuracy=estimates[0],
        macro_f1=estimates[1],
        kappa=estimates[2],
        coverage=len(assigned) / max(1, len(gold)),
        accuracy_assigned=sum(g == p for g, p in assigned) / len(assigned) if assigned else 0.0,
        per_code=per_code_frame(gold, predicted),
        confusion=confusion_frame(gold, predicted, columns),
    )
