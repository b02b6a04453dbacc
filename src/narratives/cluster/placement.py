"""Fit the topic map on a sample, then place every other segment in it.

UMAP and HDBSCAN are fitted on at most ``cluster.fit_sample`` segments (a seeded random
sample); the remaining segments are placed in chunks of :data:`PLACE_CHUNK` rows by
the map's :meth:`~narratives.cluster.reduction.Reduction.transform` (UMAP's) and
HDBSCAN's ``approximate_predict``. Fitting on everything
is what makes stock BERTopic slow and memory-hungry near a million documents: UMAP's
neighbour graph and HDBSCAN's tree grow faster than the corpus, while placing a chunk
costs the same however large the corpus is.

Chunks are cut by position, never by how many workers there are, because the
transform optimises the chunk's points together: the same chunks give the same
coordinates whether they are placed here, one after another, or on Ray workers
(:mod:`narratives.backends`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from narratives.cluster.reduction import Reduction
from narratives.types import Vectors

PLACE_CHUNK = 10_000
"""Segments placed per ``transform`` call (fixed, so results do not depend on workers)."""

@dataclass(frozen=True)
class FittedMap:
    """A fitted reduction and the HDBSCAN model fitted on its output (with prediction data)."""

    reducer: Reduction
    clusterer: Any


def place(fitted: FittedMap, vectors: Vectors) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Reduced coordinates and cluster labels (``-1`` = outlier) for new rows."""
    from hdbscan import approximate_predict

    reduced = np.nan_to_num(fitted.reducer.transform(vectors)).astype(np.float32)
    labels, _ = approximate_predict(fitted.clusterer, reduced)
    return reduced, np.asarray(labels, dtype=np.int64)


def fit_rows(n: int, limit: int, seed: int) -> NDArray[np.intp]:
    """The rows the map is fitted on: all of them up to ``limit``, else a seeded sample, sorted."""
    if n <= limit:
        return np.arange(n, dtype=np.intp)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=limit, replace=False)).astype(np.intp)
