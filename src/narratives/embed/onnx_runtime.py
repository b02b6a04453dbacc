"""The ONNX embedders: the same local model run by onnxruntime, in fp32 or int8.

On first use the transformer is exported to ``<cache_dir>/onnx/<model identity>/model.onnx``
(and, for int8, quantised to ``model-int8.onnx`` beside it); later runs reuse the files.
Only the export imports torch; a run that finds them loads onnxruntime and the
``tokenizers`` library only. Pooling and normalisation follow the folder's
sentence-transformers configuration (see :func:`~narratives.embed._onnx_export.read_layout`).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from narratives.embed._batching import BATCHING, embed_in_fixed_shapes
from narratives.embed._onnx_export import (
    TOKEN_FIELDS,
    Layout,
    export_fp32,
    open_session,
    pool,
    quantize_int8,
    read_layout,
)
from narratives.embed._texts import as_text_list
from narratives.embed.cache import CacheWarning
from narratives.embed.resolve import ResolvedModel
from narratives.errors import ModelError
from narratives.types import Vectors

FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"


def default_threads() -> int:
    """CPUs this process may run on (the affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class OnnxEmbedder:
    """Embeds texts with onnxruntime from the ONNX export of a resolved local model.

    Args:
        resolved: the model found by :func:`~narratives.embed.resolve_model`.
        cache_dir: the embedding cache directory; exports live in its ``onnx/`` folder.
        int8: use the dynamically quantised graph (int8 weights) instead of fp32.
        batch_size: texts per forward pass (fp32 only; see below).
        threads: CPUs to use; default :func:`default_threads`. fp32 gives them to onnxruntime as
            intra-op threads; int8 runs that many one-text passes at once, each on one thread.

    Rows are ``float32`` unit vectors in input order, and a text's vector does not depend
    on the texts embedded with it. fp32 uses the torch embedder's fixed-shape batches
    (``batch_size`` texts of one token length, a short batch filled with copies of its
    last text). int8 runs one text per pass: dynamic quantisation scales each call's
    activations by the whole input tensor's range, so in a batch a text's vector moved
    with its neighbours (by up to 0.12 in a token vector, measured). A one-text pass of a
    sentence is too small to split across threads well, so int8 runs ``threads`` passes side
    by side instead: on 2 cores 890 sentences/s of 20 Newsgroups posts against 510 with one
    2-thread pass, and the same bits.
    """

    def __init__(
        self,
        resolved: ResolvedModel,
        cache_dir: str | Path,
        *,
        int8: bool = False,
        batch_size: int = 16,
        threads: int | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        self.resolved = resolved
        self.cache_dir = Path(cache_dir).expanduser()
        self.int8 = int8
        self.batch_size = 1 if int8 else batch_size
        self.threads = threads or default_threads()
        self._layout: Layout | None = None
        self._session: Any = None
        self._tokenizer: Any = None
        self._input_names: list[str] = []
        self._fallback_dir: Path | None = None
        self.load_seconds: float | None = None
        """Wall time of the load, including any export, once it has happened."""
        self.export_seconds: float | None = None
        """Wall time of exporting (and quantising) in this process; ``None`` when files were reused."""

    def __getstate__(self) -> dict[str, Any]:
        """Settings without the session, so a copy sent to a worker process loads its own."""
        state = self.__dict__.copy()
        state.update(_session=None, _tokenizer=None, _input_names=[])
        return state

    @property
    def runtime(self) -> str:
        """``onnx`` or ``onnx-int8``: the ``embed.runtime`` name."""
        return "onnx-int8" if self.int8 else "onnx"

    @property
    def identity(self) -> str:
        """``name@sha256[:16]`` plus runtime and batching scheme (``…+onnx-int8+fixed1``); never loads."""
        return f"{self.resolved.identity}+{self.runtime}+{BATCHING}{self.batch_size}"

    @property
    def export_dir(self) -> Path:
        """Where this model's ONNX files are kept (a temporary folder when the cache could not take them)."""
        return self._fallback_dir or self.cache_dir / "onnx" / self.resolved.identity

    @property
    def model_file(self) -> Path:
        """The graph this embedder runs."""
        return self.export_dir / (INT8_FILE if self.int8 else FP32_FILE)

    @property
    def layout(self) -> Layout:
        """Pooling, normalisation and truncation read from the model folder (read once)."""
        if self._layout is None:
            self._layout = read_layout(self.resolved.path)
        return self._layout

    @property
    def dimension(self) -> int:
        """Vector length; from the manifest when it declares one, else from the pooling config."""
        return self.resolved.dimension or self.layout.dimension

    @property
    def loaded(self) -> bool:
        """Whether the onnxruntime session exists in this process."""
        return self._session is not None

    @property
    def _thread_split(self) -> tuple[int, int]:
        """How ``threads`` are used: (onnxruntime intra-op threads, passes run at once). fp32 gives
        them all to one batch at a time; int8 runs one pass per thread, each on one intra-op thread."""
        return (1, self.threads) if self.int8 else (self.threads, 1)

    def _load_tokenizer(self) -> Any:
        from tokenizers import Tokenizer

        path = self.layout.transformer_dir / "tokenizer.json"
        if not path.is_file():
            raise ModelError(f"{path} is missing; the ONNX backends need a fast tokenizer file")
        tokenizer = Tokenizer.from_file(str(path))
        tokenizer.no_padding()  # tokenizer.json may ask for padding to a fixed width
        tokenizer.enable_truncation(self.layout.max_seq_length)
        return tokenizer

    def _export(self, tokenizer: Any) -> None:
        started = time.perf_counter()
        fp32 = self.export_dir / FP32_FILE
        try:
            if not fp32.is_file():
                export_fp32(self.layout, tokenizer, fp32)
            if self.int8 and not self.model_file.is_file():
                quantize_int8(fp32, self.model_file)
        except OSError as exc:
            if self._fallback_dir is not None:
                raise ModelError(
                    f"cannot write the ONNX export to {self.cache_dir / 'onnx'} nor to {self._fallback_dir} ({exc}); "
                    "set cache (--set cache=…) to a writable folder with about 150 MB free"
                ) from exc
            self._fallback_dir = Path(tempfile.mkdtemp(prefix="narratives-onnx-"))
            atexit.register(shutil.rmtree, self._fallback_dir, True)
            warnings.warn(
                f"cannot keep the ONNX export in the cache {self.cache_dir} ({exc}); exported to {self._fallback_dir} "
                "for this run, and the next run exports again", CacheWarning, stacklevel=2,
            )
            self._export(tokenizer)
            return
        self.export_seconds = time.perf_counter() - started

    def _ensure_session(self) -> Any:
        if self._session is not None:
            return self._session
        started = time.perf_counter()
        layout = self.layout
        expected = self.resolved.dimension
        if expected is not None and expected != layout.dimension:
            raise ModelError(
                f"model '{self.resolved.name}' at {self.resolved.path} pools {layout.dimension}-d vectors, "
                f"but its manifest declares {expected}"
            )
        tokenizer = self._load_tokenizer()
        if not self.model_file.is_file():
            self._export(tokenizer)
        try:
            session = open_session(self.model_file, threads=self._thread_split[0])
        except Exception as exc:  # onnxruntime raises its own types; a damaged file is re-exported once
            self.model_file.unlink(missing_ok=True)
            self._export(tokenizer)
            try:
                session = open_session(self.model_file, threads=self._thread_split[0])
            except Exception as again:
                raise ModelError(f"onnxruntime cannot load {self.model_file}: {exc}; then {again}") from again
        self._input_names = [node.name for node in session.get_inputs()]
        unknown = sorted(set(self._input_names) - set(TOKEN_FIELDS))
        if unknown:
            raise ModelError(f"{self.model_file}: unexpected graph inputs {', '.join(unknown)}")
        self._tokenizer = tokenizer
        self._session = session
        self.load_seconds = time.perf_counter() - started
        return session

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> Vectors:
        """One L2-normalised ``float32`` row per text, in input order.

        Raises:
            TypeError: ``texts`` is a single string or holds non-strings.
            ModelError: the model cannot be exported or loaded.
        """
        items = as_text_list(texts)
        if not items:
            return np.empty((0, self.dimension), dtype=np.float32)
        session = self._ensure_session()
        layout = self.layout
        prepared = [text.lower() for text in items] if layout.do_lower_case else items
        encodings = self._tokenizer.encode_batch(prepared)

        def forward(rows: list[int]) -> Vectors:
            batch = [encodings[i] for i in rows]
            feed = {
                name: np.array([getattr(e, TOKEN_FIELDS[name]) for e in batch], dtype=np.int64)
                for name in self._input_names
            }
            mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
            return pool(session.run(None, feed)[0], mask, layout)

        lengths = [len(e.ids) for e in encodings]
        return embed_in_fixed_shapes(
            lengths, self.batch_size, layout.dimension, forward, progress=progress, workers=self._thread_split[1]
        )

    def describe(self) -> dict[str, Any]:
        """What the run manifest records about the model."""
        return {
            **self.resolved.describe(self.identity),
            "batch_size": self.batch_size,
            "device": "cpu",
            "embed_runtime": self.runtime,
            "onnx_file": str(self.model_file),
            "threads": self.threads,
        }
