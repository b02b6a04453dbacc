"""Compiled loops of the topic map (numba), written so that every core gives the same answer.

Each loop is split by rows: a row is worked on by one thread from start to end, in the same
order on every run, and reads only what no other thread writes. The result therefore does not
depend on how many threads there are or how they are scheduled. (UMAP's own parallel layout
lets threads move the same points at once, which is why it is single-threaded when seeded.)
Laying points out among themselves cannot be split so (every point moves the others), and is
left to UMAP's own sequential optimisation.

Imported only when a map is fitted: numba compiles these on first use, and
:func:`narratives.cluster.jit_cache.cache_compiled_code` keeps the machine code between runs.
"""

from __future__ import annotations

import numba
import numpy as np
from umap.layouts import clip, rdist
from umap.utils import tau_rand_int


@numba.njit(parallel=True)
def top_per_row(scores: np.ndarray, count: int) -> np.ndarray:  # pragma: no cover - compiled
    """Column indices of the ``count`` highest scores of each row, best first; ties to the lower column."""
    n, m = scores.shape
    out = np.empty((n, count), dtype=np.int32)
    for i in numba.prange(n):
        best = np.full(count, -np.inf, dtype=np.float32)
        where = np.full(count, -1, dtype=np.int32)
        filled = 0
        for j in range(m):
            s = scores[i, j]
            if filled == count and not s > best[count - 1]:
                continue  # a tie with the last kept keeps the lower column, already there
            pos = filled if filled < count else count - 1
            while pos > 0 and best[pos - 1] < s:
                best[pos] = best[pos - 1]
                where[pos] = where[pos - 1]
                pos -= 1
            best[pos] = s
            where[pos] = j
            if filled < count:
                filled += 1
        out[i] = where
    return out


@numba.njit(parallel=True, fastmath=True)
def place_epoch(  # pragma: no cover - compiled
    head: np.ndarray,
    tail: np.ndarray,
    indptr: np.ndarray,
    neighbours: np.ndarray,
    epochs_per_sample: np.ndarray,
    epochs_per_negative_sample: np.ndarray,
    next_sample: np.ndarray,
    next_negative: np.ndarray,
    rng_states: np.ndarray,
    a: float,
    b: float,
    gamma: float,
    alpha: float,
    epoch: int,
    block: int,
) -> None:
    """One epoch of UMAP's optimisation of new points against a fitted layout, row by row.

    ``head`` (the new points) is moved in place; ``tail`` (the fitted layout) never moves, so
    each row depends only on itself and this is exactly ``UMAP.transform``'s epoch
    (``optimize_layout_euclidean`` with ``move_other=False``), run on every core. Edges are the
    CSR rows ``indptr``/``neighbours`` of the membership graph; the learning rate, the
    clipping, negative sampling and its schedule are UMAP's.
    """
    n = head.shape[0]
    dim = head.shape[1]
    n_tail = tail.shape[0]
    for first in numba.prange((n + block - 1) // block):
        for j in range(first * block, min((first + 1) * block, n)):
            current = head[j]
            for e in range(indptr[j], indptr[j + 1]):
                if next_sample[e] > epoch:
                    continue
                other = tail[neighbours[e]]
                dist_squared = rdist(current, other)
                if dist_squared > 0.0:
                    grad_coeff = -2.0 * a * b * pow(dist_squared, b - 1.0)
                    grad_coeff /= a * pow(dist_squared, b) + 1.0
                else:
                    grad_coeff = 0.0
                for d in range(dim):
                    current[d] += clip(grad_coeff * (current[d] - other[d])) * alpha
                next_sample[e] += epochs_per_sample[e]

                n_negative = int((epoch - next_negative[e]) / epochs_per_negative_sample[e])
                for _ in range(n_negative):
                    other = tail[tau_rand_int(rng_states[j]) % n_tail]
                    dist_squared = rdist(current, other)
                    if dist_squared > 0.0:
                        grad_coeff = 2.0 * gamma * b
                        grad_coeff /= (0.001 + dist_squared) * (a * pow(dist_squared, b) + 1)
                        for d in range(dim):
                            current[d] += clip(grad_coeff * (current[d] - other[d])) * alpha
                next_negative[e] += n_negative * epochs_per_negative_sample[e]


@numba.njit(parallel=True, fastmath=True)
def candidate_scores(  # pragma: no cover - compiled
    queries: np.ndarray, points: np.ndarray, candidates: np.ndarray, squared_norms: np.ndarray, euclidean: bool
) -> np.ndarray:
    """For each query row and each of its candidate points: the dot product (cosine), or
    ``2 q·p - |p|²`` (euclidean, which ranks like minus the distance)."""
    n, count = candidates.shape
    dim = queries.shape[1]
    out = np.empty((n, count), dtype=np.float32)
    for i in numba.prange(n):
        for c in range(count):
            p = candidates[i, c]
            total = np.float32(0.0)
            for d in range(dim):
                total += queries[i, d] * points[p, d]
            out[i, c] = 2 * total - squared_norms[p] if euclidean else total
    return out
