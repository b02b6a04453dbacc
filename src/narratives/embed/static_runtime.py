"""The static embedder: a model2vec model distilled offline from the run's own model.

``model2vec.distill`` runs every token of the model's vocabulary through the transformer once
(about 30,000 short passes, 20-30 s on 2 cores), reduces the token vectors with PCA to
``STATIC_DIMS`` dimensions and weights them by token frequency. A text's vector is then the
mean of its tokens' vectors: no transformer pass, no torch. The distilled model is kept in
``<cache_dir>/static/<model identity>/`` and reused; only the distillation imports torch.

Measured on the shared coded sets (``benchmarks/speed_options.py``) and the 20 Newsgroups posts
(``benchmarks.scale``), it is far faster but its topics are worse (NMI 0.281 against 0.434) and
it codes worse zero-shot (0.141 against 0.233): the run's default stays the transformer.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from narratives.embed._texts import as_text_list
from narratives.embed.resolve import ResolvedModel
from narratives.errors import ModelError
from narratives.types import Vectors

STATIC_DIMS = 256
"""PCA dimensions of the distilled token vectors (model2vec's default)."""
ENCODE_BATCH = 1024
"""Texts per call into model2vec; a static vector never depends on its neighbours."""


class StaticEmbedder:
    """Embeds texts with a model2vec static model distilled from ``resolved``.

    Args:
        resolved: the transformer found by :func:`~narratives.embed.resolve_model`.
        cache_dir: the run's cache folder; the distilled model lives in its ``static/`` folder.

    Rows are L2-normalised ``float32`` vectors in input order; each depends on its own text only.
    """

    def __init__(self, resolved: ResolvedModel, cache_dir: str | Path) -> None:
        self.resolved = resolved
        self.cache_dir = Path(cache_dir).expanduser()
        self._model: Any = None
        self.distill_seconds: float | None = None
        """Wall time of the distillation in this process; ``None`` when the folder was reused."""

    def __getstate__(self) -> dict[str, Any]:
        """Settings without the loaded model, so a copy sent to a worker process loads its own."""
        return {**self.__dict__, "_model": None}

    @property
    def runtime(self) -> str:
        return "static"

    @property
    def identity(self) -> str:
        """``name@sha256[:16]+static256``; never loads."""
        return f"{self.resolved.identity}+static{STATIC_DIMS}"

    @property
    def dimension(self) -> int:
        return STATIC_DIMS

    @property
    def model_dir(self) -> Path:
        """Where the distilled model is kept."""
        return self.cache_dir / "static" / self.resolved.identity

    def _distill(self) -> None:
        try:
            from model2vec.distill import distill
        except ImportError as exc:
            raise ModelError(
                f"embed.runtime 'static' distils its model with model2vec and transformers ({exc}); "
                "install them with: pip install 'model2vec==0.10.0' 'skeletoken>=0.6,<0.7', or set embed.runtime=torch"
            ) from exc
        started = time.perf_counter()
        self.model_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".distilling-", dir=self.model_dir.parent))
        try:
            distill(model_name=str(self.resolved.path), pca_dims=STATIC_DIMS, device="cpu").save_pretrained(
                str(staging)
            )
            staging.replace(self.model_dir)
        except OSError as exc:
            raise ModelError(
                f"cannot write the static model to {self.model_dir} ({exc}); set cache (--set cache=…) to a "
                "writable folder"
            ) from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self.distill_seconds = time.perf_counter() - started

    def _ensure_model(self) -> Any:
        if self._model is None:
            if not (self.model_dir / "model.safetensors").is_file():
                self._distill()
            from model2vec import StaticModel

            self._model = StaticModel.from_pretrained(str(self.model_dir))
        return self._model

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> Vectors:
        """One L2-normalised ``float32`` row per text, in input order.

        Raises:
            TypeError: ``texts`` is a single string or holds non-strings.
            ModelError: the model cannot be distilled or loaded.
        """
        items = as_text_list(texts)
        if not items:
            return np.empty((0, self.dimension), dtype=np.float32)
        model = self._ensure_model()
        vectors = np.asarray(
            model.encode(items, batch_size=ENCODE_BATCH, show_progress_bar=progress, use_multiprocessing=False),
            dtype=np.float32,
        )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    def describe(self) -> dict[str, Any]:
        """What the run manifest records about the model."""
        return {
            **self.resolved.describe(self.identity),
            "device": "cpu",
            "embed_runtime": self.runtime,
            "static_model": str(self.model_dir),
        }
