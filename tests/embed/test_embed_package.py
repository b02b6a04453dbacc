"""The package's front door: cheap to import, and ``build_embedder`` wires the config through."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from narratives.config import EmbedConfig
from narratives.embed import CachedEmbedder, OnnxEmbedder, SentenceTransformerEmbedder, build_embedder, text_key
from narratives.errors import ModelError

CHECK_NO_TORCH = """
import sys
import numpy as np
from narratives.config import EmbedConfig
from narratives.embed import build_embedder, text_key
embedder = build_embedder(EmbedConfig(), sys.argv[1])
texts = ["already cached"]
row = np.full((1, 384), 384 ** -0.5, dtype=np.float32)
embedder.cache.put_many(embedder.identity, [text_key(t) for t in texts], row)
assert np.array_equal(embedder.embed(texts), row)
heavy = sorted(m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules)
print(",".join(heavy) or "none")
"""


def _config(**settings: object) -> EmbedConfig:
    return EmbedConfig.model_validate(settings)


def test_import_and_fully_cached_run_do_not_import_torch(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK_NO_TORCH, str(tmp_path)],
        capture_output=True, text=True, check=True, timeout=120,
    )
    assert result.stdout.strip() == "none"


def test_build_embedder_follows_the_config(tmp_path: Path) -> None:
    embedder = build_embedder(_config(batch_size=7, runtime="torch"), tmp_path / "cache")
    assert isinstance(embedder, CachedEmbedder)
    inner = embedder.embedder
    assert isinstance(inner, SentenceTransformerEmbedder)
    assert (inner.batch_size, inner.device) == (7, "cpu")
    assert embedder.cache.path == tmp_path / "cache" / "embeddings.sqlite3"
    assert embedder.identity.startswith("all-MiniLM-L6-v2@53aa51172d142c89")
    assert embedder.dimension == 384
    assert not inner.loaded


def test_the_default_runtime_is_int8_and_the_device_is_resolved(tmp_path: Path) -> None:
    """The default runs int8 ONNX; ``device: auto`` on a CPU build of torch is the CPU, found without
    importing torch, so a fully cached run still never loads it."""
    inner = build_embedder(_config(), tmp_path / "cache").embedder
    assert isinstance(inner, OnnxEmbedder) and inner.int8
    script = ("import sys; from narratives.embed.device import resolve_device; "
              "print(resolve_device('auto'), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    if out[0] == "cpu" and out[1] == "True":
        pytest.fail("resolving device=auto imported torch on a CPU build")
    assert out[0] in ("cpu", "cuda")


def test_build_embedder_uses_the_cache_dir_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NARRATIVES_CACHE_DIR", str(tmp_path))
    assert build_embedder(_config()).cache.directory == tmp_path


@pytest.mark.usefixtures("no_network")
def test_build_embedder_refuses_an_unknown_model_offline(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"embed\.allow_network=true"):
        build_embedder(_config(model="no-such-model"), tmp_path)


@pytest.mark.slow
def test_end_to_end_second_run_comes_from_cache(
    tmp_path: Path, st_embedder: SentenceTransformerEmbedder
) -> None:
    texts = ["I trained in Karachi and now work nights in Leeds.", "My husband could not get a work permit."]
    first = build_embedder(_config(runtime="torch"), tmp_path)
    first.embedder = st_embedder  # reuse the session's loaded model
    vectors = first.embed(texts)
    second = build_embedder(_config(runtime="torch"), tmp_path)
    assert np.array_equal(second.embed(texts), vectors)
    assert (second.hits, second.misses) == (2, 0)
    assert isinstance(second.embedder, SentenceTransformerEmbedder) and not second.embedder.loaded
    assert second.cache.count(second.identity) == 2
    assert text_key(texts[0]) != text_key(texts[1])
