"""Reliability bins, expected calibration error and the ≥ 0.8 headline (no model)."""

from __future__ import annotations

import pytest

from narratives.evaluation.reliability import reliability


def test_bins_ece_and_headline_by_hand() -> None:
    result = reliability(
        [0.05, 0.15, 0.85, 0.95, 1.0],
        [False, False, True, False, True],
        [False, False, True, True, True],
    )
    table = result.table
    assert len(table) == 10 and table["n"].sum() == 5
    assert table["bin"].iloc[0] == "[0.0, 0.1)" and table["bin"].iloc[-1] == "[0.9, 1.0]"
    assert table["n"].tolist() == [1, 1, 0, 0, 0, 0, 0, 0, 1, 2]  # 1.0 falls in the last, closed bin
    last = table.iloc[-1]
    assert (last.mean_score, last.accuracy, last.assigned) == (pytest.approx(0.975), 0.5, 2)
    # ECE = (0.05 + 0.15 + 0.15)/5 + 2/5 · |0.5 - 0.975| = 0.26
    assert result.ece == pytest.approx(0.26)
    assert result.high_n == 3 and result.high_accuracy == pytest.approx(2 / 3)
    assert result.headline() == "among assignments scored ≥ 0.8, 67% are right (n=3)"


def test_no_high_scores_says_so() -> None:
    result = reliability([0.3, 0.4], [True, False], [True, True])
    assert result.high_accuracy is None and result.high_n == 0
    assert "n=0" in result.headline()
