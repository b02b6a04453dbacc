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

    def probabilities(self, x: NDArray[np.floating]) -> Float64Array:
        """Class probabilities, one row per row of ``x``; each row sums to 1."""
        z = ((np.asarray(x, dtype=np.float64) - self.mean) / self.scale) @ self.coef.T + self.intercept
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
    every = np.concatenate([x, rx])
    mean = every.mean(axis=0)
    scale = every.std(axis=0)
    scale[scale < 1e-12] = 1.0
    xs, rxs = (x - mean) / scale, (rx - mean) / scale
    k, d = n_classes, x.shape[1]
    onehot = np.zeros((len(y), k))
    onehot[np.arange(len(y)), y] = 1.0
    pick = np.zeros((len(rc), k))
    pick[np.arange(len(rc)), rc] = 1.0

    def objective(theta: Float64Array) -> tuple[float, Float64Array]:
        coef, intercept = theta[: k * d].reshape(k, d), theta[k * d :]
        p = _softmax(xs @ coef.T + intercept)
        loss = -np.sum(w * np.log(np.clip(p[np.arange(len(y)), y], 1e-300, None)))
        dz = w[:, None] * (p - onehot)
        grad_coef = dz.T @ xs
        grad_b = dz.sum(axis=0)
        if len(rc):
            q = _softmax(rxs @ coef.T + intercept)
            pc = np.clip(q[np.arange(len(rc)), rc], 0.0, 1.0 - 1e-12)
            loss -= np.sum(rw * np.log1p(-pc))
            # d/dz_k of -log(1 - p_c) = p_c (delta_kc - p_k) / (1 - p_c)
            rz = (rw * pc / (1.0 - pc))[:, None] * (pick - q)
            grad_coef += rz.T @ rxs
            grad_b += rz.sum(axis=0)
        value = c * loss + 0.5 * np.sum(coef * coef)
        grad = np.concatenate([(c * grad_coef + coef).ravel(), c * grad_b])
        return float(value), grad

    start = np.zeros(k * d + k)
    solved = minimize(objective, start, jac=True, method="L-BFGS-B", options={"maxiter": max_iter})
    theta = solved.x
    return SoftmaxModel(theta[: k * d].reshape(k, d), theta[k * d :], mean, scale)
