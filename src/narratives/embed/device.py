"""Which torch device runs the model: ``embed.device``, with ``auto`` resolved here.

``auto`` is a CUDA GPU when one is present and torch can use it, else the CPU. On a CPU
build of torch (``+cpu`` in its version, as ``make install`` gives) the answer is known
without importing torch, so a run that finds everything cached still never loads it.
"""

from __future__ import annotations

from functools import cache
from importlib import metadata


@cache
def resolve_device(name: str) -> str:
    """``name`` itself, or for ``auto``: ``cuda`` when ``torch.cuda.is_available()``, else ``cpu``."""
    if name != "auto":
        return name
    try:
        if "+cpu" in metadata.version("torch"):
            return "cpu"
    except metadata.PackageNotFoundError:
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
