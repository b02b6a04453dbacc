"""Fake embeddings for the fast clustering tests (a uniquely named module, not ``conftest``)."""

from __future__ import annotations

import numpy as np

from narratives.types import Vectors


def unit_rows(matrix: np.ndarray) -> Vectors:
    """Rows scaled to unit length, as float32 (what the embedder hands the clusterer)."""
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


def blobs(n: int, k: int = 3, dim: int = 384, seed: int = 0) -> tuple[Vectors, np.ndarray]:
    """``n`` unit vectors around ``k`` well-separated random centres, and their blob index."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, dim))
    truth = np.arange(n) % k
    return unit_rows(centres[truth] + 0.3 * rng.normal(size=(n, dim))), truth
