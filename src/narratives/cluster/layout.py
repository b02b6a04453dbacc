"""A 2-D layout of the clustered segments for the report's topic map.

The map shows at most :data:`MAP_POINTS` segments, so it stays readable and light at any
corpus size: a seeded sample stratified by cluster (every cluster keeps points in
proportion to its size, and at least :data:`MIN_PER_CLUSTER` when it has them). The
sample is laid out by a 2-D UMAP fitted on the clusterer's own reduced vectors (the
space HDBSCAN clustered in), so clusters that are apart on the map are apart for the
clusterer too. Measured on the demo corpus (1,107 segments): 1.7 s; a 2-D PCA of the
same vectors took 1 ms but drew most clusters on top of each other.

UMAP is given the points' distance matrix (``metric="precomputed"``, computed by scipy).
Below 4,096 points UMAP computes that matrix itself, through scikit-learn calling its
numba distance once per pair from Python: 9 million calls and about 8 s for a
3,000-point map (2 cores), of a layout that then took 2 s.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import NDArray

from narratives.cluster.umap_start import umap_init

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
    from scipy.spatial.distance import pdist, squareform
    from umap import UMAP

    reducer = UMAP(
        n_neighbors=min(15, n - 1),
        n_components=2,
        min_dist=0.1,
        metric="precomputed",  # euclidean, from scipy (see the module's notes)
        random_state=seed,
        n_jobs=1,  # what random_state forces anyway; saying so avoids UMAP's warning
        init=umap_init(reduced, 2) if n > 20 else "random",  # both reproducible
    )
    distances = squareform(pdist(np.asarray(reduced, dtype=np.float64), "euclidean"))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="using precomputed metric", category=UserWarning)
        return np.nan_to_num(reducer.fit_transform(distances)).astype(np.float32)
