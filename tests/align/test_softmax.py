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


def _prior(n: int, k: int, seed: int) -> np.ndarray:
    """Log-probabilities of a made-up prior that favours class 0 for every row."""
    p = np.full((n, k), 0.5 / (k - 1))
    p[:, 0] = 0.5
    return np.log(p) + np.random.default_rng(seed).normal(scale=0.01, size=(n, k))


def test_with_a_prior_and_no_evidence_the_model_is_the_prior() -> None:
    x, y = _data(n=4, seed=4)
    offset = _prior(4, 4, 4)
    model = fit_softmax(x[:0], y[:0], 4, offset=offset[:0], center_on=x, c=0.5)
    assert np.allclose(model.probabilities(x, offset), np.exp(offset) / np.exp(offset).sum(axis=1, keepdims=True))
    assert model.prior_scale == 1.0


def test_a_prior_moves_as_far_as_the_evidence_goes() -> None:
    """Few examples of class 2 shift rows towards it a little; many shift them further. Without the prior
    the same few examples swing every row to whichever class they show."""
    x, y = _data(n=400, seed=5)
    offset = _prior(400, 4, 5)
    test = slice(300, 400)
    share = []
    for n in (3, 30, 300):
        model = fit_softmax(x[:n], y[:n], 4, offset=offset[:n], center_on=x[:300], c=0.2)
        share.append(float((model.probabilities(x[test], offset[test]).argmax(axis=1) == y[test]).mean()))
    zero_shot = float((y[test] == 0).mean())
    assert share[0] < share[1] < share[2]
    assert abs(share[0] - zero_shot) < 0.15  # three examples barely move a confident prior
    plain = fit_softmax(x[:300], y[:300], 4, c=0.2).probabilities(x[test]).argmax(axis=1)
    assert share[2] >= float((plain == y[test]).mean()) - 0.02  # enough evidence learns what no prior would
    assert fit_softmax(x[:300], y[:300], 4, offset=offset[:300], c=0.2).prior_scale < 0.7  # a wrong prior shrinks


def test_a_model_fitted_with_a_prior_needs_it_to_score() -> None:
    x, y = _data(n=40, seed=6)
    model = fit_softmax(x, y, 4, offset=_prior(40, 4, 6), c=0.2)
    try:
        model.probabilities(x)
    except ValueError as exc:
        assert "prior" in str(exc)
    else:
        raise AssertionError("scored without the prior")
