"""UMAP's compiled code (and its neighbour search's, pynndescent) is kept in the cache folder, and
using it changes no result."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

SCRIPT = """
import sys
from pathlib import Path
import numpy as np
from narratives.cluster.jit_cache import cache_umap_compilation
if sys.argv[1] != "-":
    assert cache_umap_compilation(Path(sys.argv[1]))
from umap import UMAP
# above 4,096 rows UMAP searches neighbours with pynndescent's NN-descent, not exactly
x = np.random.default_rng(0).standard_normal((4_200, 16)).astype(np.float32)
y = UMAP(n_components=2, n_neighbors=10, random_state=0, n_jobs=1).fit_transform(x)
np.save(sys.argv[2], y)
"""


def _fit(cache: str, out: Path) -> np.ndarray:
    done = subprocess.run([sys.executable, "-c", SCRIPT, cache, str(out)], check=True, timeout=600,
                          capture_output=True, text=True)
    if cache != "-":  # the two pynndescent functions numba cannot cache are not a user's concern
        assert "NumbaWarning" not in done.stderr, done.stderr
    return np.load(out)


def test_compiled_umap_is_cached_and_gives_the_same_layout(tmp_path: Path) -> None:
    cache = tmp_path / "numba"
    uncached = _fit("-", tmp_path / "a.npy")
    first = _fit(str(cache), tmp_path / "b.npy")
    for package in ("umap", "pynndescent"):
        assert list(cache.glob(f"{package}_*/*.nbi")), f"no compiled function of {package} was stored"
    second = _fit(str(cache), tmp_path / "c.npy")  # loads what the first stored
    assert np.array_equal(uncached, first) and np.array_equal(first, second)
