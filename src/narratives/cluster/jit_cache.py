"""Keep the topic map's compiled code between runs.

UMAP's functions and our own loops (:mod:`narratives.cluster.kernels`) are compiled by numba
on first use in every process, about 10 seconds on 2 cores, and UMAP does not ask numba to
cache most of them. :func:`cache_compiled_code` turns numba's own on-disk cache on for them,
in ``<cache_dir>/numba``, so only the first clustering on a machine pays. The machine code is
the same either way, so are the results; numba keys each entry by the source file, the signature and the CPU, and
recompiles when any of them changes (a UMAP upgrade, another machine).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

COMPILED_MODULES = ("umap", "narratives.cluster.kernels")
"""Modules (and their submodules) whose compiled functions are cached. pynndescent, which UMAP
searches neighbours with, is not used (:mod:`narratives.cluster.knn`): two of its functions close
over the distance function and cannot be cached, 12.5 s of compiling in every process."""

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


def cache_compiled_code(directory: Path) -> bool:
    """Cache the topic map's compiled functions in ``directory``; ``False`` if that was not possible
    (the run then compiles as usual, only slower)."""
    if directory in _enabled:
        return True
    try:
        import numba.core.config as numba_config
        import umap.umap_  # noqa: F401  (imports the modules whose functions are compiled)
        from numba.core.caching import NullCache
        from numba.core.dispatcher import Dispatcher

        import narratives.cluster.kernels  # noqa: F401

        directory.mkdir(parents=True, exist_ok=True)
        previous = getattr(numba_config, "CACHE_DIR", "")
        setattr(numba_config, "CACHE_DIR", str(directory))  # noqa: B010  (numba's config is untyped)
        try:
            for name, module in list(sys.modules.items()):
                if not any(name == m or name.startswith(f"{m}.") for m in COMPILED_MODULES):
                    continue
                for value in list(vars(module).values()):
                    if isinstance(value, Dispatcher) and isinstance(getattr(value, "_cache", None), NullCache):
                        value.enable_caching()
                        _tolerate_write_errors(getattr(value, "_cache"))  # noqa: B009  (private to numba)
        finally:
            setattr(numba_config, "CACHE_DIR", previous)  # noqa: B010
    except Exception:  # numba internals moved, or the folder is not writable
        return False
    _enabled.add(directory)
    return True
