"""A multinomial logistic regression that also learns from rejections.

Coders give two kinds of evidence: "this passage is code *c*" (accepted or recoded quotes)
and "this passage is *not* code *c*" (rejected proposals). scikit-learn's
``LogisticRegression`` takes only the first kind. This model minimises, over standardised
features ``x``,

    C * [ sum_pos w_i * -log p_{y_i}(x_i)  +  sum_rej w_r * -log(1 - p_{c_r}(x_r)) ]  +  ||W||^2 / 2

with ``p = softmax(W x + b)`` (the intercept is not penalised). Without rejections it is the
objective scikit-learn minimises with ``solver="lbfgs"``, and its coefficients match
scikit-learn's (``tests/align/test_softmax.py``). It is fitted by L-BFGS in float64 from a zero
start, so the same data give the same weights.

**A prior the examples must move.** Given ``offset`` (one row of log-probabilities per row, such
as the codebook's zero-shot scores), the logits are ``a * offset + W x + b`` and the penalty is
``(||W||^2 + ||b||^2 + (a - 1)^2) / 2``: with no examples the model *is* the prior, and each
example moves it only as far as the data term outweighs the penalty. Few examples make small
corrections near what they show; many earn a large departure (``a`` can shrink a weak prior).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

Float64Array = NDArray[np.float64]


@dataclass(frozen=True)
class SoftmaxModel:
    """Fitted weights: ``scores = softmax(((x - mean) / scale) @ coef.T + intercept)``."""

    coef: Float64Array
    intercept: Float64Array
    mean: Float64Array
    scale: Float64Array
    prior_scale: float = 0.0
    """``a``: the weight of the prior's log-probabilities (0 when fitted without a prior)."""

    def probabilities(self, x: NDArray[np.floating], offset: NDArray[np.floating] | None = None) -> Float64Array:
        """Class probabilities, one row per row of ``x``; each row sums to 1. ``offset`` is the prior's
        log-probabilities for the same rows, required when the model was fitted with a prior."""
        z = ((np.asarray(x, dtype=np.float64) - self.mean) / self.scale) @ self.coef.T + self.intercept
        if self.prior_scale:
            if offset is None:
                raise ValueError("this model was fitted with a prior: give its log-probabilities as offset")
            z = z + self.prior_scale * np.asarray(offset, dtype=np.float64)
        return _softmax(z)


def _softmax(z: Float64Array) -> Float64Array:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_softmax(
    x: NDArray[np.floating],
    y: NDArray[np.int64],
    n_classes: int,
    *,
    weights: NDArray[np.floating] | None = None,
    rejected_x: NDArray[np.floating] | None = None,
    rejected_class: NDArray[np.int64] | None = None,
    rejected_weights: NDArray[np.floating] | None = None,
    offset: NDArray[np.floating] | None = None,
    rejected_offset: NDArray[np.floating] | None = None,
    center_on: NDArray[np.floating] | None = None,
    c: float = 0.05,
    max_iter: int = 2000,
) -> SoftmaxModel:
    """Fit on positives ``(x, y)`` and, optionally, rejections ``(rejected_x, rejected_class)``.

    Features are standardised with the mean and standard deviation of the positives and
    rejections together (constant columns keep scale 1).

    Args:
        x: features of the positive rows.
        y: class of each positive row, in ``range(n_classes)``.
        n_classes: number of classes (a class without rows gets weights all the same).
        weights: per positive row (default 1).
        rejected_x, rejected_class: rows a coder said are *not* of that class.
        rejected_weights: per rejection (default 1).
        offset, rejected_offset: the prior's log-probabilities for the positive rows and the
            rejections (module docstring); with them the intercept is penalised too.
        center_on: rows whose mean and standard deviation standardise the features (default: the
            positives and rejections; a few examples alone give a noisy scale).
        c: inverse regularisation strength (scikit-learn's ``C``).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    if rejected_x is None or rejected_class is None or len(rejected_class) == 0:
        rx = np.zeros((0, x.shape[1]))
        rc = np.zeros(0, dtype=np.int64)
        rw = np.zeros(0)
    else:
        rx = np.asarray(rejected_x, dtype=np.float64)
        rc = np.asarray(rejected_class, dtype=np.int64)
        rw = np.ones(len(rc)) if rejected_weights is None else np.asarray(rejected_weights, dtype=np.float64)
    every = np.concatenate([x, rx]) if center_on is None else np.asarray(center_on, dtype=np.float64)
    mean = every.mean(axis=0)
    scale = every.std(axis=0)
    scale[scale < 1e-12] = 1.0
    xs, rxs = (x - mean) / scale, (rx - mean) / scale
    k, d = n_classes, x.shape[1]
    prior = offset is not None
    off = np.asarray(offset, dtype=np.float64) if prior else np.zeros((len(y), k))
    roff = np.zeros((len(rc), k))
    if prior and len(rc):
        if rejected_offset is None:
            raise ValueError("rejections need their prior log-probabilities (rejected_offset) too")
        roff = np.asarray(rejected_offset, dtype=np.float64)
    onehot = np.zeros((len(y), k))
    onehot[np.arange(len(y)), y] = 1.0
    pick = np.zeros((len(rc), k))
    pick[np.arange(len(rc)), rc] = 1.0

    def objective(theta: Float64Array) -> tuple[float, Float64Array]:
        coef, intercept = theta[: k * d].reshape(k, d), theta[k * d : k * d + k]
        a = 1.0 + theta[-1] if prior else 0.0
        p = _softmax(xs @ coef.T + intercept + a * off)
        loss = -np.sum(w * np.log(np.clip(p[np.arange(len(y)), y], 1e-300, None)))
        dz = w[:, None] * (p - onehot)
        grad_coef = dz.T @ xs
        grad_b = dz.sum(axis=0)
        grad_a = float(np.sum(dz * off))
        if len(rc):
            q = _softmax(rxs @ coef.T + intercept + a * roff)
            pc = np.clip(q[np.arange(len(rc)), rc], 0.0, 1.0 - 1e-12)
            loss -= np.sum(rw * np.log1p(-pc))
            # d/dz_k of -log(1 - p_c) = p_c (delta_kc - p_k) / (1 - p_c)
            rz = (rw * pc / (1.0 - pc))[:, None] * (pick - q)
            grad_coef += rz.T @ rxs
            grad_b += rz.sum(axis=0)
            grad_a += float(np.sum(rz * roff))
        value = c * loss + 0.5 * np.sum(coef * coef)
        grad = [(c * grad_coef + coef).ravel(), c * grad_b]
        if prior:  # the intercept and the prior's weight are penalised too: the prior is where a fit starts
            value += 0.5 * float(np.sum(intercept * intercept) + theta[-1] ** 2)
            grad = [grad[0], grad[1] + intercept, np.array([c * grad_a + theta[-1]])]
        return float(value), np.concatenate(grad)

    start = np.zeros(k * d + k + (1 if prior else 0))
    solved = minimize(objective, start, jac=True, method="L-BFGS-B", options={"maxiter": max_iter})
    theta = solved.x
    return SoftmaxModel(theta[: k * d].reshape(k, d), theta[k * d : k * d + k], mean, scale,
                        1.0 + float(theta[-1]) if prior else 0.0)
