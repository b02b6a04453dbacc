"""Keep UMAP's compiled code between runs.

UMAP compiles its numba functions on first use in every process, about 10 seconds on
2 cores, and does not ask numba to cache most of them. :func:`cache_umap_compilation`
turns numba's own on-disk cache on for them, in ``<cache_dir>/numba``, so only the first
clustering on a machine pays. The machine code is the same either way, so are the
results; numba keys each entry by the source file, the signature and the CPU, and
recompiles when any of them changes (a UMAP upgrade, another machine).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

COMPILED_PACKAGES = ("umap", "pynndescent")
"""UMAP and the nearest-neighbour search it runs (pynndescent): measured on 20,000 sentence vectors,
compiling the low-memory NN-descent took 36 of the 37 s of the search, 15 s once cached. (Two of its
functions close over the distance function and cannot be cached; numba's warning that says so is
silenced, as there is nothing a user could do about it.)"""
UNCACHEABLE_WARNING = 'Cannot cache compiled function "nn_descent'
"""The start of numba's warning for ``nn_descent`` and ``nn_descent_internal`` (a regex prefix)."""

_enabled: set[Path] = set()


def _tolerate_write_errors(cache: Any) -> None:
    """A full or read-only cache folder must not stop a run: a failed save only means the next
    process compiles again. (numba lets such an ``OSError`` out of the compilation.)"""
    save = cache.save_overload

    def save_or_skip(signature: Any, data: Any) -> None:
        try:
            save(signature, data)
        except OSError:
            return

    cache.save_overload = save_or_skip


def cache_umap_compilation(directory: Path) -> bool:
    """Cache UMAP's compiled functions in ``directory``; ``False`` if that was not possible
    (the run then compiles as usual, only slower)."""
    if directory in _enabled:
        return True
    try:
        import numba.core.config as numba_config
        import pynndescent  # noqa: F401  (imports the modules whose functions are compiled)
        import umap.umap_  # noqa: F401
        from numba.core.caching import NullCache
        from numba.core.dispatcher import Dispatcher

        directory.mkdir(parents=True, exist_ok=True)
        previous = getattr(numba_config, "CACHE_DIR", "")
        setattr(numba_config, "CACHE_DIR", str(directory))  # noqa: B010  (numba's config is untyped)
        try:
            for name, module in list(sys.modules.items()):
                if name.split(".")[0] not in COMPILED_PACKAGES:
                    continue
                for value in list(vars(module).values()):
                    if isinstance(value, Dispatcher) and isinstance(getattr(value, "_cache", None), NullCache):
                        value.enable_caching()
                        _tolerate_write_errors(getattr(value, "_cache"))  # noqa: B009  (private to numba)
        finally:
            setattr(numba_config, "CACHE_DIR", previous)  # noqa: B010
        from numba.core.errors import NumbaWarning

        warnings.filterwarnings("ignore", message=UNCACHEABLE_WARNING, category=NumbaWarning)
    except Exception:  # numba internals moved, or the folder is not writable
        return False
    _enabled.add(directory)
    return True
