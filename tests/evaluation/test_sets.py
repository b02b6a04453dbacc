"""Set scores for multi-label gold, checked against scikit-learn on binarised sets."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score
from sklearn.preprocessing import MultiLabelBinarizer

from narratives.evaluation.metrics import resample_indices
from narratives.evaluation.sets import set_scores

GOLD = [("hope", "care"), ("loss",), ("care",), ("hope", "loss", "fear"), ("fear",)]
PRED = [("hope",), ("loss", "care"), ("care",), ("hope", "fear"), ()]


def test_micro_and_macro_f1_match_scikit_learn() -> None:
    scores = set_scores("code", GOLD, PRED)
    binarise = MultiLabelBinarizer().fit(GOLD + PRED)
    g, p = binarise.transform(GOLD), binarise.transform(PRED)
    assert abs(scores.micro_f1.value - f1_score(g, p, average="micro")) < 1e-12
    gold_codes = [i for i, c in enumerate(binarise.classes_) if g[:, i].any()]
    assert abs(scores.macro_f1.value - f1_score(g[:, gold_codes], p[:, gold_codes], average="macro")) < 1e-12
    assert scores.exact_match.value == 1 / 5
    assert scores.gold_per_unit == 8 / 5 and scores.predicted_per_unit == 6 / 5


def test_per_code_table_and_interval() -> None:
    scores = set_scores("code", GOLD, PRED, indices=resample_indices(5, 200, 0))
    table = scores.per_code.set_index("code")
    assert table.loc["care", "precision"] == 0.5 and table.loc["care", "recall"] == 0.5
    assert table.loc["fear", "support"] == 2 and table.loc["fear", "predicted"] == 1
    low, high = scores.micro_f1.low, scores.micro_f1.high
    assert low is not None and high is not None and low <= scores.micro_f1.value <= high
    assert np.isfinite([low, high]).all()
