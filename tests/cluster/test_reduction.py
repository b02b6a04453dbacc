"""The topic map's own neighbour search and UMAP steps: as UMAP would, the same with any threads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from narratives.cluster.knn import NeighbourIndex
from narratives.cluster.reduction import fit_reduction

pytestmark = pytest.mark.slow  # numba compiles the kernels on first use


def _topics(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """Unit vectors around 20 random centres, as sentence embeddings of 20 topics lie."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20, dim))
    points = centres[rng.integers(0, 20, n)] + 0.9 * rng.standard_normal((n, dim))
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def test_neighbours_are_the_exact_ones_nearly_always() -> None:
    points = _topics(3_000, 384)
    indices, distances = NeighbourIndex.build(points, "cosine").query(points, 15)
    exact = NearestNeighbors(n_neighbors=15, metric="cosine", algorithm="brute").fit(points)
    exact_d, exact_i = exact.kneighbors(points)
    recall = np.mean([len(set(a) & set(b)) / 15 for a, b in zip(indices, exact_i, strict=True)])
    assert recall >= 0.95, recall
    assert np.array_equal(indices[:, 0], np.arange(3_000))  # every point finds itself first, at 0
    assert (distances[:, 0] == 0).all()
    same = (indices == exact_i).all(axis=1)  # where the neighbours are the exact ones, so are the distances
    assert np.allclose(distances[same], exact_d[same], atol=1e-5)


def test_in_few_dimensions_neighbours_are_exact() -> None:
    points = _topics(1_000, 5, seed=1) * 7
    indices, distances = NeighbourIndex.build(points, "euclidean").query(points[:200], 10)
    exact_d, exact_i = NearestNeighbors(n_neighbors=10).fit(points).kneighbors(points[:200])
    assert np.allclose(distances, exact_d, atol=1e-5)
    assert np.array_equal(indices[:, :2], exact_i[:, :2])
    assert (distances[:, 0] == 0).all()  # UMAP takes the first non-zero distance as a point's scale
    with pytest.raises(ValueError, match="neighbours among"):
        NeighbourIndex.build(points, "euclidean").query(points, 1_001)


def test_new_points_land_beside_the_fitted_points_they_repeat() -> None:
    points = _topics(1_500, 64)
    reduction, layout = fit_reduction(points, n_neighbors=15, n_components=5, min_dist=0.0, seed=3)
    placed = reduction.transform(points[:100])
    spread = np.linalg.norm(layout - layout.mean(axis=0), axis=1).mean()
    assert np.median(np.linalg.norm(placed - layout[:100], axis=1)) < 0.1 * spread
    with pytest.raises(ValueError, match="n_neighbors"):
        fit_reduction(points[:10], n_neighbors=10, n_components=2, min_dist=0.0, seed=3)


SCRIPT = """
import sys
import numpy as np
from narratives.cluster.reduction import fit_reduction
rng = np.random.default_rng(0)
x = rng.standard_normal((2_500, 48)).astype(np.float32)
reduction, layout = fit_reduction(x[:2_000], n_neighbors=15, n_components=5, min_dist=0.0, seed=7)
np.save(sys.argv[1], np.concatenate([layout, reduction.transform(x[2_000:])]))
"""


def test_the_map_is_the_same_with_one_thread_or_two(tmp_path: Path) -> None:
    maps = []
    for threads in ("1", "2"):
        out = tmp_path / f"{threads}.npy"
        env = {**os.environ, "NUMBA_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads}
        subprocess.run([sys.executable, "-c", SCRIPT, str(out)], check=True, timeout=600, env=env)
        maps.append(np.load(out))
    assert np.array_equal(maps[0], maps[1])
