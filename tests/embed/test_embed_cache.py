"""The on-disk embedding cache and the embedder that consults it first."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from narratives.embed import (
    CachedEmbedder,
    CacheWarning,
    EmbeddingCache,
    ResolvedModel,
    SentenceTransformerEmbedder,
    text_key,
)

TEXTS = ["We left in 2015.", "The visa took a year.", "We left in 2015.", "Nurses earn more there."]


def test_second_call_embeds_nothing_and_returns_identical_rows(tmp_path: Path, fake_embedder: type) -> None:
    inner = fake_embedder()
    embedder = CachedEmbedder(inner, EmbeddingCache(tmp_path))
    first = embedder.embed(TEXTS)
    assert (embedder.last_stats.hits, embedder.last_stats.misses) == (0, 3)  # the repeat is embedded once
    assert inner.embedded == 3

    second = embedder.embed(TEXTS)
    assert (embedder.last_stats.hits, embedder.last_stats.misses) == (4, 0)
    assert inner.embedded == 3
    assert np.array_equal(first, second) and second.dtype == np.float32
    assert (embedder.hits, embedder.misses) == (4, 3)
    assert embedder.last_stats.summary() == "embedded 0 new segments, 4 from cache"


def test_an_interrupted_run_keeps_the_chunks_it_finished(tmp_path: Path, fake_embedder: type) -> None:
    texts = [f"Sentence number {i} about the ward." for i in range(5)]

    class StopsOnThirdChunk(fake_embedder):  # type: ignore[misc,valid-type]
        def embed(self, batch, *, progress=False):  # type: ignore[no-untyped-def]
            if len(self.calls) == 2:
                raise KeyboardInterrupt  # the researcher pressed Ctrl-C
            return super().embed(batch, progress=progress)

    with pytest.raises(KeyboardInterrupt):
        CachedEmbedder(StopsOnThirdChunk(), EmbeddingCache(tmp_path), store_every=2).embed(texts)

    resumed = fake_embedder()
    vectors = CachedEmbedder(resumed, EmbeddingCache(tmp_path)).embed(texts)
    assert resumed.embedded == 1  # four of five were stored before the interruption
    assert np.array_equal(vectors, fake_embedder().embed(texts))


def test_rows_come_back_in_input_order_with_partial_hits(tmp_path: Path, fake_embedder: type) -> None:
    inner = fake_embedder()
    embedder = CachedEmbedder(inner, EmbeddingCache(tmp_path))
    embedder.embed(TEXTS[:2])
    mixed = ["new one", TEXTS[1], "new two", TEXTS[0]]
    vectors = embedder.embed(mixed)
    assert inner.calls[-1] == ["new one", "new two"]
    assert np.array_equal(vectors, fake_embedder().embed(mixed))
    assert (embedder.last_stats.hits, embedder.last_stats.misses) == (2, 2)


def test_cache_survives_a_new_object(tmp_path: Path, fake_embedder: type) -> None:
    first = CachedEmbedder(fake_embedder(), EmbeddingCache(tmp_path)).embed(TEXTS)
    inner = fake_embedder()
    with EmbeddingCache(tmp_path) as cache:
        again = CachedEmbedder(inner, cache).embed(TEXTS)
    assert inner.calls == []
    assert np.array_equal(first, again)


def test_cache_survives_a_new_process(tmp_path: Path, fake_embedder: type) -> None:
    vectors = CachedEmbedder(fake_embedder(), EmbeddingCache(tmp_path)).embed(TEXTS)
    script = (
        "import sys\n"
        "from narratives.embed import EmbeddingCache, text_key\n"
        f"texts = {TEXTS!r}\n"
        "found = EmbeddingCache(sys.argv[1]).get_many('fake@0000', [text_key(t) for t in texts])\n"
        "sys.stdout.buffer.write(b''.join(found[text_key(t)].tobytes() for t in texts))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, check=True, timeout=120
    )
    assert result.stdout == vectors.astype("<f4").tobytes()


def test_cache_is_keyed_by_model_identity(tmp_path: Path, fake_embedder: type) -> None:
    cache = EmbeddingCache(tmp_path)
    CachedEmbedder(fake_embedder("model-a@1111"), cache).embed(TEXTS)
    other = fake_embedder("model-b@2222")
    embedder = CachedEmbedder(other, cache)
    embedder.embed(TEXTS)
    assert (embedder.last_stats.hits, embedder.last_stats.misses) == (0, 3)
    assert cache.count("model-a@1111") == cache.count("model-b@2222") == 3


def test_missing_directory_is_created(tmp_path: Path, fake_embedder: type) -> None:
    cache_dir = tmp_path / "does" / "not" / "exist"
    CachedEmbedder(fake_embedder(), EmbeddingCache(cache_dir)).embed(TEXTS)
    assert (cache_dir / "embeddings.sqlite3").is_file()


def test_many_keys_are_read_in_chunks(tmp_path: Path, fake_embedder: type) -> None:
    texts = [f"segment number {i}" for i in range(2_500)]
    first = CachedEmbedder(fake_embedder(), EmbeddingCache(tmp_path)).embed(texts)
    embedder = CachedEmbedder(fake_embedder(), EmbeddingCache(tmp_path))
    assert np.array_equal(embedder.embed(texts), first)
    assert embedder.last_stats.misses == 0


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_cache_file_is_set_aside_and_rebuilt(tmp_path: Path, fake_embedder: type, damage: str) -> None:
    cache_file = tmp_path / "embeddings.sqlite3"
    if damage == "garbage":
        cache_file.write_bytes(b"this is not a sqlite database" * 100)
    else:
        with EmbeddingCache(tmp_path) as cache:
            CachedEmbedder(fake_embedder(), cache).embed([f"text {i}" for i in range(3_000)])
        data = cache_file.read_bytes()
        cache_file.write_bytes(data[:4096] + b"\x00garbage" * 2_000 + data[4096 + 16_000 :])

    inner = fake_embedder()
    cache = EmbeddingCache(tmp_path)
    with pytest.warns(CacheWarning, match="corrupt"):
        vectors = CachedEmbedder(inner, cache).embed(TEXTS + [f"text {i}" for i in range(3_000)])
    assert vectors.shape == (3_004, 16)
    assert list(tmp_path.glob("embeddings.sqlite3.corrupt-*"))
    assert any("corrupt" in note for note in cache.notes)

    again = CachedEmbedder(fake_embedder(), EmbeddingCache(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        assert np.array_equal(again.embed(TEXTS), vectors[:4])
    assert again.last_stats.misses == 0


def test_a_cache_with_another_tables_layout_is_set_aside_once_not_warned_about_every_run(
    tmp_path: Path, fake_embedder: type
) -> None:
    import sqlite3

    with sqlite3.connect(tmp_path / "embeddings.sqlite3") as conn:
        conn.execute("CREATE TABLE embeddings (key TEXT, vec BLOB)")
    cache = EmbeddingCache(tmp_path)
    with pytest.warns(CacheWarning, match="columns key, vec"):
        first = CachedEmbedder(fake_embedder(), cache).embed(TEXTS)
    assert len(cache.notes) == 1 and list(tmp_path.glob("embeddings.sqlite3.corrupt-*"))
    again = CachedEmbedder(fake_embedder(), EmbeddingCache(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        assert np.array_equal(again.embed(TEXTS), first)
    assert again.last_stats.misses == 0


def test_a_cache_another_run_holds_is_read_and_named_as_busy(tmp_path: Path, fake_embedder: type,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """It was reported as "read-only" after 30 s, which sent users looking at permissions."""
    import narratives.embed.cache as module

    with EmbeddingCache(tmp_path) as cache:
        stored = CachedEmbedder(fake_embedder(), cache).embed(TEXTS)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys, time\n"
        f"c = sqlite3.connect({str(tmp_path / 'embeddings.sqlite3')!r}, isolation_level=None)\n"
        "c.execute('BEGIN EXCLUSIVE'); print('held', flush=True); time.sleep(60)\n")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(module, "LOCK_WAIT", 1.0)
        cache = EmbeddingCache(tmp_path)
        with pytest.warns(CacheWarning, match="in use by another narratives run"):
            vectors = CachedEmbedder(fake_embedder(), cache).embed([*TEXTS, "a new text"])
        assert cache.read_only and not any("read-only" in note for note in cache.notes)
        assert np.array_equal(vectors[:4], stored)
    finally:
        holder.kill()
        holder.wait()


def test_unusable_directory_degrades_to_no_cache(tmp_path: Path, fake_embedder: type) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    embedder = CachedEmbedder(fake_embedder(), EmbeddingCache(blocker / "cache"))
    with pytest.warns(CacheWarning, match="without a cache|uncached"):
        vectors = embedder.embed(TEXTS)
    assert vectors.shape == (4, 16)
    assert embedder.embed(TEXTS).shape == (4, 16)


def test_fully_cached_run_never_loads_the_model(tmp_path: Path, packaged_model: ResolvedModel) -> None:
    texts = sorted(set(TEXTS))
    stored = np.random.default_rng(0).standard_normal((len(texts), 384)).astype(np.float32)
    stored /= np.linalg.norm(stored, axis=1, keepdims=True)
    cache = EmbeddingCache(tmp_path)
    inner = SentenceTransformerEmbedder(packaged_model)
    cache.put_many(inner.identity, [text_key(t) for t in texts], stored)

    embedder = CachedEmbedder(inner, cache)
    assert embedder.identity == inner.identity
    assert np.array_equal(embedder.embed(texts), stored)
    assert embedder.embed([]).shape == (0, 384)
    assert not inner.loaded
    assert embedder.describe()["identity"] == inner.identity


def test_a_cache_written_by_the_earlier_schema_is_converted_and_kept(tmp_path: Path, fake_embedder: type) -> None:
    """A user's cache from before schema 2 still serves its vectors: nothing is embedded again."""
    import sqlite3

    first = CachedEmbedder(fake_embedder(), EmbeddingCache(tmp_path)).embed(TEXTS)
    path = tmp_path / "embeddings.sqlite3"
    with sqlite3.connect(path) as conn:  # rewrite it as version 1 wrote it
        rows = conn.execute("SELECT model, text_sha256, dim, vector FROM embeddings").fetchall()
        conn.execute("DROP TABLE embeddings")
        conn.execute("CREATE TABLE embeddings (model TEXT NOT NULL, text_sha256 BLOB NOT NULL, dim INTEGER NOT NULL, "
                     "vector BLOB NOT NULL, PRIMARY KEY (model, text_sha256)) WITHOUT ROWID")
        conn.executemany("INSERT INTO embeddings VALUES (?, ?, ?, ?)", rows)
        conn.execute("PRAGMA user_version=1")
    inner = fake_embedder()
    embedder = CachedEmbedder(inner, EmbeddingCache(tmp_path))
    assert np.array_equal(embedder.embed(TEXTS), first)
    assert inner.embedded == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        table = conn.execute("SELECT sql FROM sqlite_master WHERE name='embeddings'").fetchone()[0]
        assert "WITHOUT ROWID" not in table
        assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0  # the old table's space is given back
