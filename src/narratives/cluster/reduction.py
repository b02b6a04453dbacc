"""UMAP, reproducible and on every core: the reduction the topics are clustered in.

The steps, settings and layout optimisation are umap-learn's own functions; two parts are
replaced so that a seeded run uses every core and still gives the same map on every run:

- neighbours come from matrix products (:mod:`narratives.cluster.knn`), not pynndescent;
- new points are optimised against the fitted layout row by row
  (:func:`narratives.cluster.kernels.place_epoch`), which is ``UMAP.transform``'s epoch on every
  core, because the fitted layout does not move.

The fit's own layout stays UMAP's single-threaded optimisation: a row-parallel version that
read the other points where they stood when each epoch began merged two of four synthetic
themes (test ``test_synthetic_themes_are_recovered``; adjusted Rand 0.63 mean over seeds 0-11,
against 0.84 with UMAP's optimiser on the same graph and start).

The start is the vectors' principal components (:mod:`narratives.cluster.umap_start`).
:meth:`Reduction.transform` places new points in a fitted map as ``UMAP.transform`` does:
neighbours among the fitted points, the weighted mean of their positions, then a shorter
optimisation against the fitted layout, which does not move.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from narratives.cluster.knn import Metric, NeighbourIndex
from narratives.cluster.umap_start import umap_init

NEGATIVE_SAMPLE_RATE = 5
REPULSION = 1.0
LEARNING_RATE = 1.0
ROW_BLOCK = 64
"""Rows per unit of parallel work (fixed, so the result never depends on the threads)."""


def fit_epochs(n: int) -> int:
    """UMAP's default: 500 epochs up to 10,000 points, 200 above."""
    return 500 if n <= 10_000 else 200


def place_epochs(n: int) -> int:
    """UMAP's ``transform`` default: 100 epochs up to 10,000 new points, 30 above."""
    return 100 if n <= 10_000 else 30


@dataclass(frozen=True)
class Reduction:
    """A fitted map: the fitted points' index and where they lie (``embedding``)."""

    index: NeighbourIndex
    embedding: NDArray[np.float32]
    n_neighbors: int
    a: float
    b: float
    seed: int

    def transform(self, vectors: NDArray[np.floating]) -> NDArray[np.float32]:
        """Positions of new points in this map (the fitted layout does not move)."""
        import scipy.sparse
        from umap.umap_ import compute_membership_strengths, smooth_knn_dist

        if len(vectors) == 0:
            return np.empty((0, self.embedding.shape[1]), dtype=np.float32)
        k = min(self.n_neighbors, len(self.embedding))
        indices, distances = self.index.query(vectors, k)
        sigmas, rhos = smooth_knn_dist(distances, float(k), local_connectivity=0.0)
        rows, cols, vals, _ = compute_membership_strengths(indices, distances, sigmas, rhos, bipartite=True)
        graph = scipy.sparse.csr_matrix((vals, (rows, cols)), shape=(len(vectors), len(self.embedding)))
        graph.eliminate_zeros()
        start = _weighted_start(graph, self.embedding)
        epochs = place_epochs(len(vectors))
        graph.data[graph.data < graph.data.max() / float(epochs)] = 0.0
        graph.eliminate_zeros()
        return place(start, self.embedding, graph, epochs, a=self.a, b=self.b,
                     alpha=LEARNING_RATE / 4, seed=self.seed)


def fit_reduction(
    vectors: NDArray[np.floating], *, n_neighbors: int, n_components: int, min_dist: float, seed: int,
    metric: Metric = "cosine",
) -> tuple[Reduction, NDArray[np.float32]]:
    """Fit the map on ``vectors``; return it and their positions in it.

    Raises:
        ValueError: fewer than 3 vectors, or ``n_neighbors`` not below their number.
    """
    from umap.umap_ import find_ab_params, fuzzy_simplicial_set

    n = len(vectors)
    if n < 3 or not 2 <= n_neighbors < n:
        raise ValueError(f"a map of {n} points needs 2 <= n_neighbors < {n} (got {n_neighbors})")
    index = NeighbourIndex.build(vectors, metric)
    indices, distances = index.query(index.points, n_neighbors)
    graph, _, _ = fuzzy_simplicial_set(index.points, n_neighbors, None, metric,
                                       knn_indices=indices, knn_dists=distances)
    graph = graph.tocsr()
    epochs = fit_epochs(n)
    graph.data[graph.data < graph.data.max() / float(epochs)] = 0.0
    graph.eliminate_zeros()
    a, b = find_ab_params(1.0, min_dist)
    random_state = np.random.RandomState(seed)  # drawn from in the order UMAP draws from it
    start = _rescaled_start(_jittered(_start(vectors, n_components, seed), random_state))
    embedding = _lay_out(start, graph, epochs, a=float(a), b=float(b), random_state=random_state)
    reduction = Reduction(index=index, embedding=embedding, n_neighbors=n_neighbors, a=float(a), b=float(b),
                          seed=seed)
    return reduction, embedding


def _lay_out(start: NDArray[np.float32], graph: Any, epochs: int, *, a: float, b: float,
             random_state: np.random.RandomState) -> NDArray[np.float32]:
    """UMAP's own layout optimisation of a fit (sequential, both ends of an edge move)."""
    from umap.layouts import optimize_layout_euclidean
    from umap.umap_ import INT32_MAX, INT32_MIN, make_epochs_per_sample

    head = np.ascontiguousarray(start, dtype=np.float32).copy()
    if graph.nnz == 0:
        return head
    edges = graph.tocoo()
    rng_state = random_state.randint(INT32_MIN, INT32_MAX, 3).astype(np.int64)
    return np.asarray(optimize_layout_euclidean(
        head, head, edges.row, edges.col, epochs, len(head), make_epochs_per_sample(edges.data, epochs), a, b,
        rng_state, gamma=REPULSION, initial_alpha=LEARNING_RATE, negative_sample_rate=NEGATIVE_SAMPLE_RATE,
        parallel=False, move_other=True,
    ), dtype=np.float32)


def place(
    start: NDArray[np.float32], fixed: NDArray[np.float32], graph: Any, epochs: int, *, a: float, b: float,
    alpha: float, seed: int,
) -> NDArray[np.float32]:
    """UMAP's stochastic gradient descent of new points (``start``) against the fitted layout ``fixed``."""
    from umap.umap_ import make_epochs_per_sample

    from narratives.cluster.kernels import place_epoch

    head = np.ascontiguousarray(start, dtype=np.float32).copy()
    if graph.nnz == 0:
        return head
    graph.sort_indices()
    epochs_per_sample = make_epochs_per_sample(graph.data, epochs)
    epochs_per_negative_sample = epochs_per_sample / NEGATIVE_SAMPLE_RATE
    next_sample = epochs_per_sample.copy()
    next_negative = epochs_per_negative_sample.copy()
    rng_states = np.random.default_rng(seed).integers(-(2**31), 2**31 - 1, size=(len(head), 3), dtype=np.int64)
    indptr = graph.indptr.astype(np.int64)
    neighbours = graph.indices.astype(np.int64)
    for epoch in range(epochs):
        learning = alpha * (1.0 - epoch / float(epochs))
        place_epoch(head, fixed, indptr, neighbours, epochs_per_sample, epochs_per_negative_sample, next_sample,
                    next_negative, rng_states, a, b, REPULSION, learning, epoch, ROW_BLOCK)
    return head


def _start(vectors: NDArray[np.floating], n_components: int, seed: int) -> NDArray[np.float32]:
    """The principal-component start, or a seeded random one when a component is flat."""
    start = umap_init(vectors, n_components)
    if isinstance(start, str):
        return np.random.default_rng(seed).uniform(-10, 10, size=(len(vectors), n_components)).astype(np.float32)
    return start


def _jittered(start: NDArray[np.float32], random_state: np.random.RandomState) -> NDArray[np.float32]:
    """As UMAP does with a given start: repeated rows (repeated sentences) are moved apart by
    noise of a thousandth of the mean distance between nearest points."""
    if len(np.unique(start, axis=0)) == len(start):
        return start
    from sklearn.neighbors import KDTree

    spacing = float(np.mean(KDTree(start).query(start, k=2)[0][:, 1]))
    return (start + random_state.normal(scale=0.001 * spacing, size=start.shape)).astype(np.float32)


def _rescaled_start(start: NDArray[np.float32]) -> NDArray[np.float32]:
    """The start rescaled to [0, 10] in every component, as UMAP does."""
    low, high = start.min(axis=0), start.max(axis=0)
    span = np.where(high > low, high - low, 1)
    return (10.0 * (start - low) / span).astype(np.float32)


def _weighted_start(graph: Any, embedding: NDArray[np.float32]) -> NDArray[np.float32]:
    """Each new point at the membership-weighted mean of its fitted neighbours, or on a fitted point it
    is identical to (strength 1); no neighbours: NaN, as in UMAP's ``init_graph_transform``."""
    sums = np.asarray(graph.sum(axis=1)).ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        start = (graph @ embedding.astype(np.float64)) / sums[:, None]
    exact = graph.copy()
    exact.data = (exact.data == 1).astype(np.int8)
    exact.eliminate_zeros()
    for row in np.flatnonzero(np.diff(exact.indptr)):
        start[row] = embedding[exact.indices[exact.indptr[row]]]
    return start.astype(np.float32)
