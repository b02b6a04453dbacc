"""A 2-D layout of the clustered segments for the report's topic map.

The map shows at most :data:`MAP_POINTS` segments, so it stays readable and light at any
corpus size: a seeded sample stratified by cluster (every cluster keeps points in
proportion to its size, and at least :data:`MIN_PER_CLUSTER` when it has them). The
sample is laid out by a 2-D UMAP fitted on the clusterer's own reduced vectors (the
space HDBSCAN clustered in), so clusters that are apart on the map are apart for the
clusterer too. Measured on the demo corpus (1,107 segments): 1.7 s; a 2-D PCA of the
same vectors took 1 ms but drew most clusters on top of each other.

The layout is :func:`narratives.cluster.reduction.fit_reduction` (UMAP's steps, euclidean,
``min_dist=0.1``), whose exact neighbour search below 128 dimensions takes a few milliseconds
here; umap-learn below 4,096 points computed the distance matrix one numba call per pair from
Python, about 8 s for a 3,000-point map (2 cores).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

MAP_POINTS = 3_000
"""Most segments drawn on the topic map."""
MIN_PER_CLUSTER = 20
"""Points kept per cluster (or all of them, when it is smaller) before sharing the rest."""
MIN_LAYOUT_POINTS = 5
"""Below this many points no layout is fitted (UMAP needs neighbours)."""


def map_sample(labels: NDArray[np.int64], seed: int, limit: int = MAP_POINTS) -> NDArray[np.intp]:
    """Indices of at most ``limit`` rows, stratified by label, in ascending order.

    Every row is kept when there are at most ``limit``. The same labels and seed give the
    same sample.
    """
    n = len(labels)
    if n <= limit:
        return np.arange(n, dtype=np.intp)
    rng = np.random.default_rng(seed)
    clusters, counts = np.unique(labels, return_counts=True)
    floor = np.minimum(counts, min(MIN_PER_CLUSTER, max(1, limit // len(clusters))))
    spare = max(limit - int(floor.sum()), 0)
    extra = np.floor((counts - floor) * spare / max(int((counts - floor).sum()), 1)).astype(np.int64)
    chosen = []
    for cluster, take in zip(clusters, floor + extra, strict=True):
        members = np.flatnonzero(labels == cluster)
        chosen.append(rng.choice(members, size=min(int(take), members.size), replace=False))
    return np.sort(np.concatenate(chosen)).astype(np.intp)


def layout_2d(reduced: NDArray[np.float32], seed: int) -> NDArray[np.float32]:
    """2-D coordinates for the rows of ``reduced`` (UMAP, seeded); zeros for tiny inputs."""
    n = len(reduced)
    if n < MIN_LAYOUT_POINTS:
        return np.zeros((n, 2), dtype=np.float32)
    from narratives.cluster.reduction import fit_reduction

    _, xy = fit_reduction(reduced, n_neighbors=min(15, n - 1), n_components=2, min_dist=0.1, seed=seed,
                          metric="euclidean")
    return np.nan_to_num(xy).astype(np.float32)
