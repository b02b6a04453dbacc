"""Embedding on a backend's workers, each with its own copy of the model.

Texts the cache does not have are cut into chunks of :data:`EMBED_CHUNK` and embedded by
the workers; each worker loads the model once and keeps it. Vectors are the same as in
one process because the embedder gives a text the same vector whatever it is batched
with (see :class:`~narratives.embed.SentenceTransformerEmbedder`), so the backend keeps
the embedder's cache identity.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from narratives.backends import Backend, batches
from narratives.embed.cache import CachedEmbedder
from narratives.types import Embedder, Vectors

EMBED_CHUNK = 1024
"""Texts per batch of work sent to a worker."""
REMOTE_STORE_EVERY = 131_072
"""New texts per write to the cache when workers embed: each call waits for its slowest batch
before the next starts, so workers get larger pieces of work than in-process."""


class BackendEmbedder:
    """An :class:`~narratives.types.Embedder` whose ``embed`` runs on ``backend``."""

    def __init__(self, embedder: Embedder, backend: Backend) -> None:
        self.embedder = embedder
        self.backend = backend

    @property
    def identity(self) -> str:
        return self.embedder.identity

    @property
    def dimension(self) -> int:
        return self.embedder.dimension

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> Vectors:
        items = list(texts)
        if not items:
            return np.empty((0, self.dimension), dtype=np.float32)
        pieces = batches(items, EMBED_CHUNK)
        # the embedder pickles without its loaded model: each worker loads its own once
        return np.concatenate(self.backend.map(_embed, self.embedder, pieces)).astype(np.float32)

    def describe(self) -> dict[str, Any]:
        describe = getattr(self.embedder, "describe", None)
        info: dict[str, Any] = dict(describe()) if callable(describe) else {"identity": self.identity}
        info["backend"] = self.backend.name
        return info


def _embed(embedder: Embedder, texts: list[str]) -> Vectors:
    return embedder.embed(texts)


def on_backend(embedder: CachedEmbedder, backend: Backend) -> CachedEmbedder:
    """A new embedder like ``embedder`` (same model, same cache) whose cache misses are embedded on
    ``backend``; ``embedder`` itself for ``local``, and never changed."""
    if backend.name == "local":
        return embedder
    return CachedEmbedder(BackendEmbedder(embedder.embedder, backend), embedder.cache,
                          store_every=max(embedder.store_every, REMOTE_STORE_EVERY))
