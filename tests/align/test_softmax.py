"""The logistic regression that learns from rejections, checked against scikit-learn's."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from narratives.align.softmax import fit_softmax


def _data(n: int = 300, d: int = 20, k: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    x = rng.normal(size=(n, d))
    x[np.arange(n), y] += 1.5
    return x, y


def test_without_rejections_it_is_scikit_learns_model() -> None:
    x, y = _data()
    ours = fit_softmax(x, y, 4, c=0.5)
    scaled = StandardScaler().fit(x)
    theirs = LogisticRegression(C=0.5, max_iter=5000, tol=1e-10).fit(scaled.transform(x), y)
    assert np.abs(ours.coef - theirs.coef_).max() < 1e-3
    assert np.abs(ours.probabilities(x) - theirs.predict_proba(scaled.transform(x))).max() < 1e-3


def test_sample_weights_match_scikit_learn() -> None:
    x, y = _data(seed=1)
    w = np.where(y == 0, 3.0, 1.0)
    ours = fit_softmax(x, y, 4, weights=w, c=0.2)
    scaled = StandardScaler().fit(x)
    theirs = LogisticRegression(C=0.2, max_iter=5000, tol=1e-10).fit(scaled.transform(x), y, sample_weight=w)
    assert np.abs(ours.probabilities(x) - theirs.predict_proba(scaled.transform(x))).max() < 1e-3


def test_a_rejection_pushes_its_passage_away_from_that_class_only() -> None:
    x, y = _data(seed=2)
    row = x[:1] + 0.0
    before = fit_softmax(x, y, 4, c=0.5).probabilities(row)[0]
    wrong = int(before.argmax())
    after = fit_softmax(
        x, y, 4, c=0.5, rejected_x=np.repeat(row, 5, axis=0), rejected_class=np.full(5, wrong)
    ).probabilities(row)[0]
    assert after[wrong] < before[wrong] - 0.25
    assert after.argmax() != wrong or after[wrong] < 0.5
    assert abs(after.sum() - 1.0) < 1e-9


def test_same_data_same_weights() -> None:
    x, y = _data(seed=3)
    a, b = fit_softmax(x, y, 4), fit_softmax(x, y, 4)
    assert np.array_equal(a.coef, b.coef) and np.array_equal(a.intercept, b.intercept)
