"""UMAP's start: the vectors' principal components, the same from run to run (one input, one clustering)."""

from __future__ import annotations

import numpy as np
import pytest

from narratives.cluster.umap_start import START_DECIMALS, START_SCALE, pca_start, umap_init


def _vectors(n: int = 400, dims: int = 24) -> np.ndarray:
    rng = np.random.default_rng(5)
    scales = np.linspace(3.0, 0.2, dims)  # distinct variances: well-separated components
    return (rng.normal(size=(n, dims)) * scales).astype(np.float32)


def test_the_start_is_the_principal_components_as_sklearn_finds_them() -> None:
    from sklearn.decomposition import PCA

    vectors = _vectors()
    start = pca_start(vectors, 5)
    reference = PCA(n_components=5, svd_solver="full").fit_transform(vectors.astype(np.float64))
    assert start.shape == (400, 5) and start.dtype == np.float32
    assert float(np.abs(start).max()) == pytest.approx(START_SCALE, abs=10 ** -START_DECIMALS)
    for column in range(5):  # the same axes, up to sign and UMAP's scaling
        correlation = np.corrcoef(start[:, column], reference[:, column])[0, 1]
        assert abs(correlation) > 0.9999


def test_last_bit_differences_in_the_vectors_give_the_same_start() -> None:
    # what BLAS and LAPACK may differ by from run to run: the last bit of a float64
    vectors = _vectors().astype(np.float64)
    nudged = vectors.copy()
    nudged[::7] = np.nextafter(nudged[::7], np.inf)  # one ulp on every 7th row
    assert not np.array_equal(vectors, nudged)
    assert np.array_equal(pca_start(vectors, 5), pca_start(nudged, 5))


def test_the_sign_of_each_component_does_not_depend_on_the_solver() -> None:
    # each axis is fixed so that its largest loading is positive: mirrored data keeps the axes
    vectors = _vectors()
    start, mirrored = pca_start(vectors, 3), pca_start(-vectors, 3)
    assert np.array_equal(start, -mirrored)


def test_flat_components_fall_back_to_umaps_seeded_random_start() -> None:
    # UMAP rescales each column of a given start to [0, 10]: a flat column would divide by zero
    assert np.array_equal(pca_start(np.ones((30, 8), dtype=np.float32), 5), np.zeros((30, 5), dtype=np.float32))
    assert umap_init(np.ones((30, 8), dtype=np.float32), 5) == "random"
    assert umap_init(_vectors(50, 3), 5) == "random"  # fewer dimensions than components
    with pytest.raises(ValueError, match="no 5 principal components"):
        pca_start(_vectors(50, 3), 5)
    assert isinstance(umap_init(_vectors(50, 8), 5), np.ndarray)
