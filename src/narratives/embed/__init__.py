"""Embedding stage: resolve a model offline, embed texts, cache vectors on disk.

``build_embedder(config.embed)`` is what the pipeline uses. Importing this package is
cheap: torch and sentence-transformers are imported only when a text actually has to
be embedded (a fully cached run never imports them).
"""

from __future__ import annotations

from narratives.config import EmbedConfig
from narratives.embed.cache import CachedEmbedder, CacheWarning, EmbeddingCache, EmbedStats, text_key
from narratives.embed.resolve import (
    ModelInfo,
    ModelManifest,
    ResolvedModel,
    list_models,
    resolve_model,
    verify_model,
)
from narratives.embed.sentence_transformers import SentenceTransformerEmbedder

__all__ = [
    "CacheWarning",
    "CachedEmbedder",
    "EmbedStats",
    "EmbeddingCache",
    "ModelInfo",
    "ModelManifest",
    "ResolvedModel",
    "SentenceTransformerEmbedder",
    "build_embedder",
    "list_models",
    "resolve_model",
    "text_key",
    "verify_model",
]


def build_embedder(config: EmbedConfig) -> CachedEmbedder:
    """The configured model (resolved and verified now, loaded on first use) behind the disk cache.

    Raises:
        ModelError: the model is unknown, not installed, or (``ModelIntegrityError``) fails
            its hash check.
    """
    resolved = resolve_model(config.model, allow_network=config.allow_network)
    embedder = SentenceTransformerEmbedder(resolved, batch_size=config.batch_size, device=config.device)
    return CachedEmbedder(embedder, EmbeddingCache(config.resolved_cache_dir()))
