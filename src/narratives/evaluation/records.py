"""The typed result of ``narratives evaluate``: frozen records, with DataFrames for the tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its percentile-bootstrap 95% interval (``None`` when not bootstrapped)."""

    value: float
    low: float | None = None
    high: float | None = None

    def __str__(self) -> str:
        if self.low is None or self.high is None:
            return f"{self.value:.3f}"
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"

    def as_dict(self) -> dict[str, float | None]:
        """``{"value", "low", "high"}`` for ``summary.json``."""
        return {"value": round(self.value, 6), "low": _round(self.low), "high": _round(self.high)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


@dataclass(frozen=True)
class LevelScores:
    """Agreement of predictions with gold at one level of the codebook (``code`` or ``theme``).

    ``coverage`` is the share of passages given a code at all; ``accuracy_assigned`` is the
    accuracy among those, so ``accuracy`` is roughly ``coverage × accuracy_assigned``.
    ``per_code`` has one row per gold code (precision, recall, f1, support, predicted);
    ``confusion`` counts gold (rows) × predicted (columns, always with ``unassigned``).
    """

    level: str
    n: int
    accuracy: Estimate
    macro_f1: Estimate
    kappa: Estimate
    coverage: float
    accuracy_assigned: float
    per_code: pd.DataFrame
    confusion: pd.DataFrame

    @property
    def unassigned_rate(self) -> float:
        """Share of passages left unassigned (``1 - coverage``)."""
        return 1.0 - self.coverage

    def as_dict(self) -> dict[str, Any]:
        """The headline metrics of this level for ``summary.json``."""
        return {
            "n": self.n,
            "accuracy": self.accuracy.as_dict(),
            "macro_f1": self.macro_f1.as_dict(),
            "kappa": self.kappa.as_dict(),
            "coverage": round(self.coverage, 6),
            "accuracy_assigned": round(self.accuracy_assigned, 6),
        }


@dataclass(frozen=True)
class Reliability:
    """How well scores predict correctness: a binned reliability table and its summary.

    ``table`` has one row per score bin (``bin``, ``lower``, ``upper``, ``n``, ``assigned``,
    ``mean_score``, ``accuracy``). Correctness is that of the top choice — the predicted
    code, or the nearest code when the passage fell below the threshold — so the table
    also shows what a different threshold would buy. ``ece`` is the expected calibration
    error (bin-size-weighted mean of ``|accuracy - mean_score|``). ``high_accuracy`` is the
    accuracy among *assigned* passages scored at least ``high_threshold`` (``None`` when
    there are none), over ``high_n`` passages.
    """

    table: pd.DataFrame
    ece: float
    high_threshold: float
    high_n: int
    high_accuracy: float | None

    def headline(self) -> str:
        """One line for the terminal, e.g. ``among assignments scored ≥ 0.8, 83% are right (n=120)``."""
        if self.high_accuracy is None:
            return f"no assignment scored ≥ {self.high_threshold:g} (n=0)"
        return (
            f"among assignments scored ≥ {self.high_threshold:g}, {self.high_accuracy:.0%} are right "
            f"(n={self.high_n})"
        )

    def as_dict(self) -> dict[str, Any]:
        """ECE and the high-score headline for ``summary.json``."""
        return {
            "ece": round(self.ece, 6),
            "high_threshold": self.high_threshold,
            "high_n": self.high_n,
            "high_accuracy": None if self.high_accuracy is None else round(self.high_accuracy, 6),
        }


@dataclass(frozen=True)
class EvaluationSettings:
    """How an evaluation was run, recorded in ``summary.json`` so a number can be reproduced."""

    gold: str
    codebook: str
    codebook_sha256: str
    model: str
    align: dict[str, Any]
    seed: int
    resamples: int
    examples: str | None = None
    folds: int | None = None
    group_column: str | None = None
    n_examples: int = 0
    """Accepted examples (positive evidence) the aligner learned from."""
    n_rejections: int = 0
    id_column: str | None = None
    question_column: str | None = None
    aligner: dict[str, Any] = field(default_factory=dict)
    """The aligner's own account (method, whether its scores are calibrated, what they mean)."""


@dataclass(frozen=True)
class Evaluation:
    """What ``narratives evaluate`` reports.

    ``predictions`` has one row per gold unit: ``text, gold, predicted, score,
    predicted_theme, nearest, fold`` (empty ``predicted`` = unassigned; ``fold`` is empty
    unless cross-validated). For multi-label gold (``--id-column``) it starts with ``id``,
    and ``gold``/``predicted`` are ``;``-separated code sets; the scores are then in ``sets``
    (micro- and macro-F1) and ``levels`` is empty. ``thresholds`` says, for each score
    threshold, how many units reach it and how many of those are right.
    """

    levels: tuple[LevelScores, ...]
    predictions: pd.DataFrame
    reliability: Reliability
    settings: EvaluationSettings
    unmatched_codes: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    sets: tuple[Any, ...] = ()
    """:class:`~narratives.evaluation.sets.SetScores` per level, for multi-label gold."""
    thresholds: pd.DataFrame = field(default_factory=pd.DataFrame)

    def level(self, name: str) -> LevelScores:
        """The scores at level ``name`` (``"code"`` or ``"theme"``)."""
        for level in self.levels:
            if level.level == name:
                return level
        raise KeyError(f"no level '{name}'; levels are: {', '.join(x.level for x in self.levels)}")
