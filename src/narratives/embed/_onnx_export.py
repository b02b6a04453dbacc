"""One-off conversion of a sentence-transformers folder for the ONNX embedders.

:func:`read_layout` reads how the folder turns token vectors into a sentence vector
(``modules.json``, ``1_Pooling/config.json``, ``sentence_bert_config.json``).
:func:`export_fp32` traces the transformer with ``torch.onnx.export`` and checks the
graph against torch before keeping it; :func:`quantize_int8` derives the int8 graph
with ``onnxruntime.quantization.quantize_dynamic``. Both write a temporary file next to
the target and rename it, so a crash or a concurrent run never leaves half a model.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from narratives.errors import ModelError

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
"""Transformer inputs, in this order, of those the model's ``forward`` takes."""
TOKEN_FIELDS = {"input_ids": "ids", "attention_mask": "attention_mask", "token_type_ids": "type_ids"}
"""Graph input name → attribute of a ``tokenizers`` encoding that feeds it."""
OPSET = 17
POOLING_MODES = ("cls", "max", "mean", "mean_sqrt_len")
"""Pooling modes supported, in the order sentence-transformers concatenates them."""
_PROBE = ("A short probe sentence.", "A longer probe sentence, so that the first one is padded in the batch.")
_EXPORT_TOLERANCE = 1e-4
"""Largest difference in any token vector, exported graph vs torch, that counts as the same model."""


@dataclass(frozen=True, slots=True)
class Layout:
    """What a sentence-transformers folder does after the transformer.

    ``pooling`` lists modes in concatenation order; ``dimension`` is the sentence
    vector's length.
    """

    transformer_dir: Path
    max_seq_length: int
    do_lower_case: bool
    pooling: tuple[str, ...]
    normalize: bool
    dimension: int


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: cannot read it ({exc}); the ONNX backends need it") from exc


def _pooling_modes(config: dict[str, Any], path: Path) -> tuple[str, ...]:
    if isinstance(config.get("pooling_mode"), str):
        wanted = {str(config["pooling_mode"]).removesuffix("_tokens").removesuffix("_token")}
    else:
        wanted = {
            key.removeprefix("pooling_mode_").removesuffix("_tokens").removesuffix("_token")
            for key, value in config.items()
            if key.startswith("pooling_mode_") and value is True
        }
    unsupported = sorted(wanted - set(POOLING_MODES))
    if unsupported or not wanted:
        raise ModelError(
            f"{path}: pooling {', '.join(unsupported) or '(none)'} is not supported by the ONNX backends "
            f"(supported: {', '.join(POOLING_MODES)}); use embed.runtime=torch for this model"
        )
    return tuple(mode for mode in POOLING_MODES if mode in wanted)


def read_layout(folder: Path) -> Layout:
    """The folder's Transformer → Pooling (→ Normalize) pipeline.

    Raises:
        ModelError: no ``modules.json``, or modules other than those three (a Dense
            layer, say), or a pooling mode that is not supported.
    """
    modules = _json(folder / "modules.json")
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise ModelError(
            f"{folder / 'modules.json'}: modules {' → '.join(kinds)}; the ONNX backends support only "
            "Transformer → Pooling (→ Normalize); use embed.runtime=torch for this model"
        )
    transformer_dir = folder / modules[0].get("path", "")
    pooling_path = folder / modules[1]["path"] / "config.json"
    pooling = _json(pooling_path)
    modes = _pooling_modes(pooling, pooling_path)
    st_config_path = transformer_dir / "sentence_bert_config.json"
    st_config = _json(st_config_path) if st_config_path.is_file() else {}
    max_seq_length = st_config.get("max_seq_length")
    if max_seq_length is None:
        max_seq_length = _json(transformer_dir / "config.json")["max_position_embeddings"]
    return Layout(
        transformer_dir=transformer_dir,
        max_seq_length=int(max_seq_length),
        do_lower_case=bool(st_config.get("do_lower_case", False)),
        pooling=modes,
        normalize=len(kinds) == 3,
        dimension=int(pooling["word_embedding_dimension"]) * len(modes),
    )


def pool(tokens: np.ndarray, mask: np.ndarray, layout: Layout) -> np.ndarray:
    """Sentence vectors from token vectors ``(batch, length, width)`` as sentence-transformers pools them."""
    tokens = tokens.astype(np.float32, copy=False)
    weights = mask.astype(np.float32)[:, :, None]
    counts = np.maximum(weights.sum(axis=1), np.float32(1e-9))
    parts = []
    for mode in layout.pooling:
        if mode == "cls":
            parts.append(tokens[:, 0])
        elif mode == "max":
            parts.append(np.where(weights > 0, tokens, np.float32(-1e9)).max(axis=1))
        elif mode == "mean":
            parts.append((tokens * weights).sum(axis=1) / counts)
        else:  # mean_sqrt_len
            parts.append((tokens * weights).sum(axis=1) / np.sqrt(counts))
    vectors = np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]
    if layout.normalize:
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.maximum(norms, np.float32(1e-12))
    return np.ascontiguousarray(vectors, dtype=np.float32)


@contextmanager
def atomic_target(target: Path) -> Iterator[Path]:
    """A fresh path in a private folder beside ``target``, renamed to ``target`` when the block succeeds.

    The folder (not a pre-made file) is what is private, so the file the writer creates
    gets the usual permissions.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.stem}-"))
    try:
        temporary = folder / target.name
        yield temporary
        os.replace(temporary, target)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class _QuietRoot(logging.Filter):
    """Drops onnxruntime.quantization's advice to pre-process, logged on the root logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


def _probe_inputs(tokenizer: Any, names: list[str]) -> dict[str, np.ndarray]:
    """Two texts of different lengths, right-padded with 0: the trace sees a masked batch."""
    encodings = tokenizer.encode_batch(list(_PROBE))
    width = max(len(e.ids) for e in encodings)
    return {
        name: np.array(
            [getattr(e, TOKEN_FIELDS[name]) + [0] * (width - len(e.ids)) for e in encodings], dtype=np.int64
        )
        for name in names
    }


def export_fp32(layout: Layout, tokenizer: Any, target: Path) -> None:
    """Trace the transformer to ``target`` (token vectors out) and prove it matches torch.

    Dynamic batch and sequence axes; eager attention, so the attention mask is traced as
    arithmetic rather than a branch on the example's shape.

    Raises:
        ModelError: the model cannot be loaded or exported, or the graph disagrees with torch.
    """
    import torch
    from transformers import AutoModel

    from narratives.embed.sentence_transformers import offline_hub, quiet_transformers

    from_pretrained: Any = AutoModel.from_pretrained
    folder = layout.transformer_dir
    try:
        with offline_hub(), quiet_transformers():
            model = from_pretrained(str(folder), local_files_only=True, attn_implementation="eager")
    except Exception as exc:  # torch/transformers raise many types; name the folder and cause
        raise ModelError(f"could not load {folder} to export it to ONNX: {exc}") from exc
    model.eval()
    names = [name for name in INPUTS if name in inspect.signature(model.forward).parameters]

    class TokenVectors(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.model(**dict(zip(names, inputs, strict=True))).last_hidden_state

    probe = _probe_inputs(tokenizer, names)
    arguments = tuple(torch.from_numpy(probe[name]) for name in names)
    axes = {name: {0: "batch", 1: "sequence"} for name in [*names, "token_embeddings"]}
    wrapper = TokenVectors().eval()  # a new Module trains by default, and export restores that mode
    with torch.no_grad():
        expected = wrapper(*arguments).numpy()
    with atomic_target(target) as temporary, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation and tracer warnings
        try:
            torch.onnx.export(
                wrapper, arguments, str(temporary), dynamo=False, input_names=names,
                output_names=["token_embeddings"], dynamic_axes=axes, opset_version=OPSET,
            )
        except (RuntimeError, TypeError, ValueError) as exc:  # OSError (disk full...) is the caller's
            raise ModelError(f"torch.onnx.export failed for {folder}: {exc}; use embed.runtime=torch") from exc
        got = open_session(temporary, threads=1).run(None, probe)[0]
        mask = probe["attention_mask"].astype(bool) if "attention_mask" in probe else np.ones(got.shape[:2], bool)
        difference = float(np.abs(got - expected)[mask].max())
        if difference > _EXPORT_TOLERANCE:
            raise ModelError(
                f"the ONNX export of {folder} differs from torch by {difference:.2g} "
                "on a probe sentence; use embed.runtime=torch"
            )


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic quantisation of ``source`` to ``target``: int8 weights, activations quantised per call.

    Weights get one scale per output channel. With the default single scale per tensor the
    vectors of 600 think-aloud passages (outside the benchmark corpora) had a cosine with
    torch's of 0.954 on average (min 0.843); per channel: 0.992 (min 0.973).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    quiet = _QuietRoot()
    root.addFilter(quiet)
    try:
        with atomic_target(target) as temporary:
            # quantize_dynamic writes "<input>-inferred.onnx" beside its input and deletes it: read a link
            # in the private folder, so processes quantising into one cache at once never share that file
            private = temporary.with_name(source.name)
            try:
                os.link(source, private)
            except OSError:
                shutil.copyfile(source, private)
            quantize_dynamic(private, temporary, weight_type=QuantType.QInt8, per_channel=True)
    except OSError:
        raise
    except Exception as exc:  # onnx and onnxruntime raise many types; name the file and cause
        raise ModelError(f"could not quantise {source} to int8: {exc}") from exc
    finally:
        root.removeFilter(quiet)


def open_session(path: Path, *, threads: int) -> Any:
    """An onnxruntime CPU session with a fixed thread count and sequential execution."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
