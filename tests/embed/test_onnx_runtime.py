"""The ONNX embedders: exported once into the cache folder, batch-invariant, close to torch."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from narratives.config import EmbedConfig, load_config
from narratives.embed import CachedEmbedder, OnnxEmbedder, ResolvedModel, SentenceTransformerEmbedder, build_embedder
from narratives.embed._onnx_export import read_layout
from narratives.errors import ConfigError, ModelError

TEXTS = [
    "I left Lagos because the hospital had no equipment and the pay came months late.",
    "My registration exams in the UK took two years and cost most of my savings.",
    "We miss our parents, and the children ask every week when we are going home.",
    "The weather here is cold.",
    "The weather here is warm.",  # same token length as the one before: shares its batch
    "Nobody at the embassy could tell me how long the visa would take.",
]


def test_identity_names_the_backend_and_differs_from_torch(packaged_model: ResolvedModel, tmp_path: Path) -> None:
    torch = SentenceTransformerEmbedder(packaged_model).identity
    fp32 = OnnxEmbedder(packaged_model, tmp_path).identity
    int8 = OnnxEmbedder(packaged_model, tmp_path, int8=True).identity
    assert torch == "all-MiniLM-L6-v2@53aa51172d142c89+fixed16"
    assert fp32 == "all-MiniLM-L6-v2@53aa51172d142c89+onnx+fixed16"
    assert int8 == "all-MiniLM-L6-v2@53aa51172d142c89+onnx-int8+fixed1"  # one text per pass, see the class


def test_build_embedder_picks_the_onnx_backend_without_loading(tmp_path: Path) -> None:
    embedder = build_embedder(EmbedConfig(runtime="onnx", threads=1), tmp_path)
    assert isinstance(embedder, CachedEmbedder)
    inner = embedder.embedder
    assert isinstance(inner, OnnxEmbedder)
    assert (inner.threads, inner.batch_size, inner.int8) == (1, 16, False)
    assert inner.model_file == tmp_path / "onnx" / "all-MiniLM-L6-v2@53aa51172d142c89" / "model.onnx"
    assert embedder.dimension == 384
    assert not inner.loaded and not inner.model_file.exists()


def test_the_layout_follows_the_model_folder(packaged_model: ResolvedModel) -> None:
    layout = read_layout(packaged_model.path)
    assert (layout.pooling, layout.normalize, layout.max_seq_length, layout.dimension) == (("mean",), True, 256, 384)


def test_a_model_with_a_dense_layer_is_refused(tmp_path: Path) -> None:
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
    ]
    (tmp_path / "modules.json").write_text(json.dumps(modules), encoding="utf-8")
    with pytest.raises(ModelError, match=r"Transformer → Pooling → Dense.*embed\.runtime=torch"):
        read_layout(tmp_path)


@pytest.mark.slow
def test_vectors_do_not_depend_on_the_batch(onnx_embedder: OnnxEmbedder) -> None:
    batch = onnx_embedder.embed(TEXTS)
    alone = np.vstack([onnx_embedder.embed([text]) for text in TEXTS])
    reordered = onnx_embedder.embed(TEXTS[::-1])[::-1]
    assert batch.shape == (len(TEXTS), 384) and batch.dtype == np.float32
    assert np.array_equal(alone, batch)  # bit for bit
    assert np.array_equal(reordered, batch)


@pytest.mark.slow
def test_vectors_match_torch(onnx_embedder: OnnxEmbedder, st_embedder: SentenceTransformerEmbedder) -> None:
    cosines = np.sum(onnx_embedder.embed(TEXTS) * st_embedder.embed(TEXTS), axis=1)
    assert cosines.min() >= 0.99
    np.testing.assert_allclose(np.linalg.norm(onnx_embedder.embed(TEXTS), axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_the_export_is_reused_by_a_second_embedder(
    onnx_embedder: OnnxEmbedder, packaged_model: ResolvedModel, onnx_cache: Path
) -> None:
    stamp = onnx_embedder.model_file.stat().st_mtime_ns
    again = OnnxEmbedder(packaged_model, onnx_cache)
    vectors = again.embed(TEXTS)
    assert again.loaded and again.export_seconds is None  # nothing exported
    assert again.model_file.stat().st_mtime_ns == stamp
    assert np.array_equal(vectors, onnx_embedder.embed(TEXTS))  # a second session gives the same bits
    assert not list(again.export_dir.glob(".*"))  # no temporary files left behind


@pytest.mark.slow
def test_a_pickled_copy_loads_its_own_session(onnx_embedder: OnnxEmbedder) -> None:
    copy = pickle.loads(pickle.dumps(onnx_embedder))
    assert not copy.loaded
    assert np.array_equal(copy.embed(TEXTS[:2]), onnx_embedder.embed(TEXTS[:2]))


@pytest.mark.slow
def test_int8_runs_one_text_per_pass_and_is_batch_invariant(
    onnx_embedder: OnnxEmbedder, packaged_model: ResolvedModel, onnx_cache: Path
) -> None:
    int8 = OnnxEmbedder(packaged_model, onnx_cache, int8=True)
    batch = int8.embed(TEXTS)
    assert int8.model_file.name == "model-int8.onnx" and int8.batch_size == 1
    assert np.array_equal(np.vstack([int8.embed([text]) for text in TEXTS]), batch)
    assert np.sum(batch * onnx_embedder.embed(TEXTS), axis=1).min() > 0.9
    side_by_side = OnnxEmbedder(packaged_model, onnx_cache, int8=True, threads=3)
    assert np.array_equal(side_by_side.embed(TEXTS * 5), np.vstack([batch] * 5))  # passes run at once, same bits


def test_every_measured_runtime_is_offered_and_int8_is_the_default() -> None:
    """Each runtime's coding accuracy is in benchmarks/README.md (speed_options.py); int8 scored within
    the fp32 interval on the shared coded sets, so it is the default."""
    assert load_config(None, []).embed.runtime == "onnx-int8"
    for runtime in ("torch", "onnx", "static"):
        assert load_config(None, [f"embed.runtime={runtime}"]).embed.runtime == runtime
    with pytest.warns(FutureWarning, match=r"embed\.backend is deprecated.*embed\.runtime=onnx"):
        assert load_config(None, ["embed.backend=onnx"]).embed.runtime == "onnx"  # the old key still works
    with pytest.raises(ConfigError, match=r"embed\.runtime"):
        load_config(None, ["embed.runtime=tensorrt"])


@pytest.mark.slow
def test_a_damaged_export_is_made_again(
    onnx_embedder: OnnxEmbedder, packaged_model: ResolvedModel, tmp_path: Path
) -> None:
    int8 = OnnxEmbedder(packaged_model, tmp_path, int8=True)
    int8.export_dir.mkdir(parents=True)
    shutil.copy(onnx_embedder.model_file, int8.export_dir / "model.onnx")
    int8.model_file.write_bytes(b"half a model")  # damaged, say by a copy cut short
    assert int8.embed(TEXTS[:1]).shape == (1, 384)
    assert int8.export_seconds is not None and int8.model_file.stat().st_size > 1_000_000
