"""The sentence-transformers embedder: a resolved local model, loaded lazily, offline.

The model is loaded on the first call that really needs vectors, so asking for the
:attr:`~SentenceTransformerEmbedder.identity` (what the cache is keyed on) or embedding
an all-cached corpus never imports torch.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from narratives.embed._batching import BATCHING, embed_in_fixed_shapes
from narratives.embed._texts import as_text_list
from narratives.embed.resolve import ResolvedModel
from narratives.errors import ModelError
from narratives.offline import scoped_environ
from narratives.types import Vectors

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

_OFFLINE_ENV = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


@contextmanager
def offline_hub() -> Iterator[None]:
    """``HF_HUB_OFFLINE=1`` for the duration of the block, then the previous state again.

    ``huggingface_hub`` reads the variable once at import, so its module flag is switched
    too. Not thread-safe (it changes ``os.environ``), which is fine for a model load.
    """
    import huggingface_hub.constants as hub_constants

    saved_flag = hub_constants.HF_HUB_OFFLINE
    hub_constants.HF_HUB_OFFLINE = True
    try:
        with scoped_environ(dict.fromkeys(_OFFLINE_ENV, "1")):
            yield
    finally:
        hub_constants.HF_HUB_OFFLINE = saved_flag


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """Hide transformers' "Loading weights" and "Writing model shards" bars, then restore them."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """torch's intra-op thread count set to ``threads`` inside the block (unchanged for ``None``)."""
    import torch

    before = torch.get_num_threads()
    if threads is None or threads == before:
        yield
        return
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class SentenceTransformerEmbedder:
    """Embeds texts with a sentence-transformers model from a local, verified folder.

    Args:
        resolved: the model found by :func:`~narratives.embed.resolve_model`.
        batch_size: texts per forward pass.
        device: torch device, ``"cpu"`` by default.

    Rows are returned in input order as ``float32`` unit vectors, and a text's vector
    does not depend on the other texts embedded with it: every forward pass has the same
    shape, ``batch_size`` texts of one token length (no padding; a short last batch is
    filled with copies of its last text, whose rows are dropped). Ordinary batching gave
    vectors that differed in the last bits (up to 2e-7) with the batch's make-up, which
    UMAP magnified: the demo corpus gave 23 clusters from a cache filled by earlier runs
    and 18 from a fresh one. Measured on the demo: 160 texts/s at ``batch_size=16``
    (ordinary batches of 64: 245/s; one text at a time, the other invariant way: 95/s).
    """

    def __init__(self, resolved: ResolvedModel, batch_size: int = 16, device: str = "cpu") -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.resolved = resolved
        self.batch_size = batch_size
        self.device = device
        self._model: SentenceTransformer | None = None
        self.threads: int | None = None
        """torch intra-op threads to embed with (``None``: the process's own)."""
        self.load_seconds: float | None = None
        """Wall time of the model load, once it has happened."""

    def __getstate__(self) -> dict[str, Any]:
        """Settings without the loaded model, so a copy sent to a worker process loads its own.

        The copy also carries the sending process's torch thread count, and embeds with it:
        vectors differ in the last bits (up to 2e-7, in 1 text of 10) between 1 and 2
        intra-op threads, and a Ray worker starts with 1.
        """
        import torch

        state = self.__dict__.copy()
        state["_model"] = None
        state["threads"] = self.threads or torch.get_num_threads()
        return state

    @property
    def identity(self) -> str:
        """``name@sha256[:16]`` of the weights plus the batching scheme; never loads the model.

        The scheme is part of the identity because vectors from ordinary batches (older
        caches) differ in the last bits from fixed-shape ones, and must not be mixed; so is a
        device other than the CPU (``+cuda``).
        """
        device = "" if self.device == "cpu" else f"+{self.device}"
        return f"{self.resolved.identity}+{BATCHING}{self.batch_size}{device}"

    @property
    def dimension(self) -> int:
        """Vector length; from the manifest when it declares one, else from the loaded model."""
        if self._model is None and self.resolved.dimension is not None:
            return self.resolved.dimension
        return self._dimension_of(self._ensure_model())

    @property
    def loaded(self) -> bool:
        """Whether the torch model has been loaded in this process."""
        return self._model is not None

    @staticmethod
    def _dimension_of(model: SentenceTransformer) -> int:
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dimension = getter()
        if dimension is None:
            raise ModelError("the model does not report its embedding dimension")
        return int(dimension)

    def _ensure_model(self) -> SentenceTransformer:
        if self._model is not None:
            return self._model
        started = time.perf_counter()
        from sentence_transformers import SentenceTransformer

        path = self.resolved.path
        try:
            with offline_hub(), quiet_transformers():
                model = SentenceTransformer(
                    str(path), device=self.device, local_files_only=True, trust_remote_code=False
                )
        except Exception as exc:  # torch/transformers raise many types; name the model and cause
            name = self.resolved.name
            raise ModelError(f"could not load embedding model '{name}' from {path}: {exc}") from exc
        model.eval()
        expected = self.resolved.dimension
        if expected is not None and self._dimension_of(model) != expected:
            raise ModelError(
                f"model '{self.resolved.name}' at {path} produces {self._dimension_of(model)}-d vectors, "
                f"but its manifest declares {expected}"
            )
        self._model = model
        self.load_seconds = time.perf_counter() - started
        return model

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> Vectors:
        """One L2-normalised ``float32`` row per text, in input order.

        Raises:
            TypeError: ``texts`` is a single string or holds non-strings.
            ModelError: the model cannot be loaded.
        """
        items = as_text_list(texts)
        if not items:
            return np.empty((0, self.dimension), dtype=np.float32)
        model = self._ensure_model()
        limit = model.max_seq_length
        lengths = [len(ids) for ids in model.tokenizer(items, truncation=True, max_length=limit)["input_ids"]]

        def forward(rows: list[int]) -> Vectors:
            return model.encode(
                [items[i] for i in rows], batch_size=self.batch_size, show_progress_bar=False,
                convert_to_numpy=True, normalize_embeddings=True,
            )

        with torch_threads(self.threads):
            return embed_in_fixed_shapes(lengths, self.batch_size, self._dimension_of(model), forward,
                                         progress=progress)

    def describe(self) -> dict[str, Any]:
        """What the run manifest records about the model."""
        return {**self.resolved.describe(self.identity), "batch_size": self.batch_size, "device": self.device}
