"""The topic map's compiled code (UMAP's and our own kernels) is kept in the cache folder, and
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
from narratives.cluster.jit_cache import cache_compiled_code
if sys.argv[1] != "-":
    assert cache_compiled_code(Path(sys.argv[1]))
from narratives.cluster.reduction import fit_reduction
x = np.random.default_rng(0).standard_normal((600, 16)).astype(np.float32)
reduction, y = fit_reduction(x, n_neighbors=10, n_components=2, min_dist=0.0, seed=0, metric="cosine")
placed = reduction.transform(np.random.default_rng(1).standard_normal((50, 16)).astype(np.float32))
np.save(sys.argv[2], np.concatenate([y, placed]))
"""


def _fit(cache: str, out: Path) -> np.ndarray:
    done = subprocess.run([sys.executable, "-c", SCRIPT, cache, str(out)], check=True, timeout=600,
                          capture_output=True, text=True)
    assert "NumbaWarning" not in done.stderr, done.stderr
    return np.load(out)


def test_compiled_code_is_cached_and_gives_the_same_map(tmp_path: Path) -> None:
    cache = tmp_path / "numba"
    uncached = _fit("-", tmp_path / "a.npy")
    first = _fit(str(cache), tmp_path / "b.npy")
    for package in ("umap", "cluster"):  # numba names a folder after the parent folder of its source
        assert list(cache.glob(f"{package}_*/*.nbi")), f"no compiled function from {package}/ was stored"
    second = _fit(str(cache), tmp_path / "c.npy")  # loads what the first stored
    assert np.array_equal(uncached, first) and np.array_equal(first, second)
