"""Agreement metrics on small hand-worked cases (no model)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score, f1_score

from narratives.evaluation.metrics import (
    bootstrap_confusions,
    cohen_kappa,
    level_scores,
    macro_f1,
    resample_indices,
    scores_from_confusion,
)
from narratives.models import UNASSIGNED


def _pairs(matrix: list[list[int]], labels: list[str]) -> tuple[list[str], list[str]]:
    """Gold and predicted lists that produce ``matrix`` (rows gold, columns predicted)."""
    gold: list[str] = []
    predicted: list[str] = []
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            gold += [labels[i]] * count
            predicted += [labels[j]] * count
    return gold, predicted


def test_kappa_2x2_by_hand() -> None:
    # 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no: p_o = 0.7; p_e = (25·30 + 25·20)/50² = 0.5; kappa = 0.4.
    gold, predicted = _pairs([[20, 5], [10, 15]], ["yes", "no"])
    assert cohen_kappa(gold, predicted) == pytest.approx(0.4)
    assert level_scores("code", gold, predicted).accuracy.value == pytest.approx(0.7)


def test_kappa_and_macro_f1_3x3_by_hand() -> None:
    # p_o = 15/20; p_e = (6·6 + 6·7 + 8·7)/20² = 0.335; kappa = 0.415/0.665 = 83/133.
    gold, predicted = _pairs([[5, 1, 0], [1, 4, 1], [0, 2, 6]], ["a", "b", "c"])
    assert cohen_kappa(gold, predicted) == pytest.approx(83 / 133)
    # F1 = 2·tp/(support + predicted): a 10/12, b 8/13, c 12/15.
    assert macro_f1(gold, predicted) == pytest.approx((10 / 12 + 8 / 13 + 12 / 15) / 3)


def test_unassigned_is_wrong_and_coverage_separates_it() -> None:
    scores = level_scores("code", ["a", "a", "b", "b"], ["a", UNASSIGNED, "b", "a"], columns=["a", "b", "c"])
    assert scores.accuracy.value == pytest.approx(0.5)
    assert scores.coverage == pytest.approx(0.75)
    assert scores.accuracy_assigned == pytest.approx(2 / 3)
    assert scores.macro_f1.value == pytest.approx((0.5 + 2 / 3) / 2)
    assert list(scores.confusion.columns) == ["a", "b", "c", UNASSIGNED]
    assert scores.confusion.loc["a"].tolist() == [1, 0, 0, 1]
    assert scores.confusion.loc["b"].tolist() == [1, 1, 0, 0]
    row = scores.per_code.set_index("code").loc["a"]
    assert (row.support, row.predicted, row.recall) == (2, 2, 0.5)


def test_vectorised_scores_match_sklearn() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        gold = rng.integers(0, 5, 60)
        predicted = np.where(rng.random(60) < 0.5, gold, rng.integers(0, 6, 60))
        matrices = bootstrap_confusions(gold, predicted, 6, np.arange(60)[None, :])
        accuracy, macro, kappa = (float(x[0]) for x in scores_from_confusion(matrices))
        assert accuracy == pytest.approx(float(np.mean(gold == predicted)))
        labels = sorted(set(gold.tolist()))
        assert macro == pytest.approx(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0))
        assert kappa == pytest.approx(cohen_kappa_score(gold, predicted))


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    rng = np.random.default_rng(1)
    labels = ["a", "b", "c", "d"]
    gold = [labels[i] for i in rng.integers(0, 4, 200)]
    predicted = [g if rng.random() < 0.6 else labels[int(rng.integers(0, 4))] for g in gold]
    first = level_scores("code", gold, predicted, indices=resample_indices(200, 500, seed=7))
    again = level_scores("code", gold, predicted, indices=resample_indices(200, 500, seed=7))
    other = level_scores("code", gold, predicted, indices=resample_indices(200, 500, seed=8))
    assert (first.accuracy, first.macro_f1, first.kappa) == (again.accuracy, again.macro_f1, again.kappa)
    assert first.kappa != other.kappa
    for estimate in (first.accuracy, first.macro_f1, first.kappa):
        assert estimate.low is not None and estimate.high is not None
        assert estimate.low < estimate.value < estimate.high
        assert estimate.high - estimate.low < 0.3
