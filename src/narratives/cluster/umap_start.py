"""A starting layout for seeded UMAP that is the same on every run.

UMAP with ``random_state`` is meant to give the same embedding on every run, and its random
draws do. Its default spectral start does not: ARPACK's eigenvectors come back with either sign
for small connected components. On the 20 Newsgroups test posts (20,000 sampled sentences, two
connected components, one of 10 points), two processes given bit-identical vectors started from
layouts in which 2 rows had opposite signs, and UMAP's optimisation carried that into different
clusterings: 32, 39 or 41 topics from one input. Rounding the spectral start did not help, as a
sign is not a last bit.

:func:`umap_init` starts UMAP from the vectors' leading principal components instead (PCA is one
of UMAP's own ``init`` choices): an eigendecomposition of their covariance, each component's
sign fixed so that its largest loading is positive, scaled to ±10 and rounded to
:data:`START_DECIMALS` decimals, so last-bit differences from the linear algebra cannot reach
the optimisation. Measured on the same posts: two processes gave identical labels and maps, and
topic NMI was 0.364 over sentences and 0.450 per post, against 0.344-0.363 and 0.433-0.445 for
the spectral start's clusterings.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

START_DECIMALS = 4
"""Decimals kept of the start, whose coordinates lie within ±10 (as UMAP's own starts)."""
START_SCALE = 10.0


def principal_axes(centred: NDArray[np.float64], count: int) -> NDArray[np.float64]:
    """The ``count`` leading principal axes (columns) of the centred rows ``centred``, each with
    one sign whatever the eigensolver gave: its largest entry positive."""
    _, axes = np.linalg.eigh(centred.T @ centred)  # ascending eigenvalues, unit eigenvectors
    leading = axes[:, ::-1][:, :count]
    largest = np.argmax(np.abs(leading), axis=0)
    leading *= np.sign(leading[largest, np.arange(count)])
    return leading


def pca_start(vectors: NDArray[np.floating], n_components: int) -> NDArray[np.float32]:
    """The start for UMAP's ``init``: the first ``n_components`` principal components of ``vectors``.

    Raises:
        ValueError: ``vectors`` has fewer dimensions than ``n_components``.
    """
    data = np.asarray(vectors, dtype=np.float64)
    if data.shape[1] < n_components:
        raise ValueError(f"{data.shape[1]}-d vectors have no {n_components} principal components")
    centred = data - data.mean(axis=0)
    start = centred @ principal_axes(centred, n_components)
    extent = float(np.abs(start).max())
    if extent > 0:
        start *= START_SCALE / extent
    return np.round(start, START_DECIMALS).astype(np.float32)


def umap_init(vectors: NDArray[np.floating], n_components: int) -> NDArray[np.float32] | Literal["random"]:
    """UMAP's ``init``: :func:`pca_start`, or UMAP's seeded random start when a component is flat
    (identical vectors, or fewer dimensions than components), which UMAP cannot rescale."""
    if len(vectors) == 0 or np.shape(vectors)[1] < n_components:
        return "random"
    start = pca_start(vectors, n_components)
    if (np.ptp(start, axis=0) == 0).any():
        return "random"
    return start
