"""A persistent embedding cache (one SQLite file) and an embedder that uses it.

Rows are keyed by (model identity, sha256 of the text), so changing the model or its
weights never returns stale vectors. The cache never stops a run: a corrupt file is set
aside and rebuilt, and an unusable directory or a locked database only costs speed.
Each such event is reported with a :class:`CacheWarning` and kept in ``notes``.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from narratives.backends import batches
from narratives.embed._texts import as_text_list
from narratives.types import Embedder, Vectors

CACHE_FILENAME = "embeddings.sqlite3"
SCHEMA_VERSION = 2
"""2: an ordinary (rowid) table. Version 1 was ``WITHOUT ROWID``, which SQLite advises against for
rows this size (1.5 KB vectors): 4.7 KB of file per vector, and 3.4x the time to read 92,000 of
them (1.7 s against 0.5 s). A version 1 file is converted in place when first opened."""
CHUNK = 900
"""Keys per ``IN (...)`` query, below SQLite's historical 999-parameter limit."""
STORE_EVERY = 16_384
"""Texts embedded between writes to the cache. Ctrl-C stores what the current chunk has
embedded so far before stopping; only a killed process loses up to this many."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL,
    text_sha256 BLOB NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    UNIQUE (model, text_sha256)
)
"""


_COLUMNS = ("model", "text_sha256", "dim", "vector")


def _writable(directory: Path, path: Path) -> bool:
    """Whether SQLite can write ``path`` and its journal files beside it."""
    import os

    return os.access(directory, os.W_OK | os.X_OK) and os.access(path, os.W_OK)


LOCK_WAIT = 30.0
"""Seconds a run waits for another run's write to the cache before going on without it."""


def _locked(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


class CacheWarning(UserWarning):
    """The embedding cache could not be used as is; the run goes on."""


def text_key(text: str) -> bytes:
    """The 32-byte sha256 of ``text`` (UTF-8; lone surrogates kept, not rejected)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def _convert_from_version_1(conn: sqlite3.Connection) -> None:
    """Copy a version 1 table into the version 2 one, in one transaction (all or nothing), then
    give the old table's space back to the disk (92,000 vectors: 3.6 s, 412 MB → 190 MB)."""
    conn.execute("BEGIN")
    conn.execute("ALTER TABLE embeddings RENAME TO embeddings_v1")
    conn.execute(_SCHEMA)
    conn.execute("INSERT INTO embeddings SELECT model, text_sha256, dim, vector FROM embeddings_v1")
    conn.execute("DROP TABLE embeddings_v1")
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    conn.commit()
    conn.execute("VACUUM")


class EmbeddingCache:
    """Vectors by (model identity, text hash) in ``<directory>/embeddings.sqlite3``.

    The directory is created when first needed. The connection opens lazily and is in
    WAL mode, so a reader never blocks the writer of another run. Use as a context
    manager, or call :meth:`close`.
    """

    def __init__(self, directory: str | Path, *, filename: str = CACHE_FILENAME) -> None:
        self.directory = Path(directory).expanduser()
        self.path = self.directory / filename
        self.notes: list[str] = []
        """One line per problem met (corrupt file set aside, cache disabled...)."""
        self._conn: sqlite3.Connection | None = None
        self._disabled = False
        self.read_only = False
        """True when the cache is read but not written (a folder or file this user cannot write)."""

    # -- connection -------------------------------------------------------------------

    def _warn(self, message: str) -> None:
        self.notes.append(message)
        warnings.warn(message, CacheWarning, stacklevel=3)

    def _open(self) -> sqlite3.Connection | None:
        if self._conn is not None or self._disabled:
            return self._conn
        if self.path.is_file() and not _writable(self.directory, self.path):
            return self._open_read_only()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._conn = self._connect()
        except sqlite3.OperationalError as exc:
            if self.path.is_file() and _locked(exc):
                return self._open_read_only(exc, locked=True)
            if self.path.is_file():
                return self._open_read_only(exc)
            else:
                self._disable(f"cannot open embedding cache {self.path} ({exc}); embedding without a cache")
        except sqlite3.DatabaseError as exc:
            self._recover(exc)
        except OSError as exc:
            self._disable(f"cannot create cache directory {self.directory} ({exc}); embedding uncached")
        return self._conn

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=LOCK_WAIT)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, 1, SCHEMA_VERSION):
                raise sqlite3.DatabaseError(f"unknown cache schema version {version}")
            if version == 1:
                _convert_from_version_1(conn)
            columns = [row[1] for row in conn.execute("PRAGMA table_info(embeddings)")]
            if columns and columns != list(_COLUMNS):
                # not this cache's table (another tool's, or an older layout): set aside and rebuilt once,
                # instead of failing every read and write of every run
                raise sqlite3.DatabaseError(f"its embeddings table has the columns {', '.join(columns)}, not "
                                            f"{', '.join(_COLUMNS)}")
            conn.execute(_SCHEMA)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.commit()
        except BaseException:
            conn.close()
            raise
        return conn

    def _open_read_only(self, cause: Exception | None = None, *, locked: bool = False) -> sqlite3.Connection | None:
        """A cache in a folder this user cannot write (shared, or on a read-only disk): read it as
        it is (``immutable``: nobody can be writing it) and add nothing to it. A cache another run is
        writing (``locked``) is read as an ordinary reader, beside that writer."""
        mode = "mode=ro" if locked else "mode=ro&immutable=1"
        try:
            self._conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?{mode}", uri=True, timeout=LOCK_WAIT)
            self._conn.execute("SELECT COUNT(*) FROM embeddings LIMIT 1").fetchone()
        except sqlite3.DatabaseError as exc:
            self._disable(f"cannot open embedding cache {self.path} ({cause or exc}); embedding without a cache")
            return None
        self.read_only = True
        if locked:
            self._warn(f"embedding cache {self.path} is in use by another narratives run (it held its lock for "
                       f"{LOCK_WAIT:.0f} s): reading it, but vectors embedded now are not kept. Run again when "
                       "the other run has finished, or give each run its own --set cache=…")
        else:
            self._warn(f"embedding cache {self.path} cannot be written (read-only); reading it, "
                       "but vectors embedded now are not kept")
        return self._conn

    def _disable(self, message: str) -> None:
        self.close()
        self._disabled = True
        self._warn(message)

    def _recover(self, exc: sqlite3.DatabaseError) -> None:
        """Set a corrupt cache file aside and start an empty one in its place."""
        self.close()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        try:
            for suffix in ("", "-wal", "-shm"):
                part = Path(f"{self.path}{suffix}")
                if part.exists():
                    part.replace(Path(f"{aside}{suffix}"))
            self._conn = self._connect()
        except (OSError, sqlite3.DatabaseError) as again:
            self._disable(f"embedding cache {self.path} is unusable ({exc}; {again}); embedding uncached")
            return
        self._warn(f"embedding cache {self.path} could not be used ({exc}); moved it to {aside} and started afresh")

    def _run(self, action: str, work: Any) -> Any:
        """Call ``work(conn)``; on a corrupt file recover and retry once; on other failures degrade."""
        for attempt in (1, 2):
            conn = self._open()
            if conn is None:
                return None
            try:
                return work(conn)
            except sqlite3.OperationalError as exc:  # locked, disk full, read-only...
                why = (f"another narratives run holds it (locked for {LOCK_WAIT:.0f} s)" if _locked(exc)
                       else str(exc))
                self._warn(f"embedding cache {self.path}: could not {action} ({why}); continuing")
                return None
            except sqlite3.DatabaseError as exc:  # malformed image, not a database
                if attempt == 2:
                    self._disable(f"embedding cache {self.path}: could not {action} ({exc}); cache disabled")
                    return None
                self._recover(exc)
        return None

    def close(self) -> None:
        """Close the connection (the cache reopens on next use)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- data -------------------------------------------------------------------------

    def get_many(
        self, identity: str, keys: Sequence[bytes], *, dimension: int | None = None
    ) -> dict[bytes, Vectors]:
        """Cached vectors of ``keys`` (see :func:`text_key`) for model ``identity``.

        Keys not cached, and rows whose length differs from ``dimension``, are absent.
        """
        unique = list(dict.fromkeys(keys))

        def work(conn: sqlite3.Connection) -> dict[bytes, Vectors]:
            found: dict[bytes, Vectors] = {}
            for chunk in batches(unique, CHUNK):
                marks = ",".join("?" * len(chunk))
                query = (
                    "SELECT text_sha256, dim, vector FROM embeddings "
                    f"WHERE model = ? AND text_sha256 IN ({marks})"
                )
                rows = conn.execute(query, (identity, *chunk))
                for key, dim, blob in rows:
                    if len(blob) != 4 * dim or (dimension is not None and dim != dimension):
                        continue
                    found[bytes(key)] = np.frombuffer(blob, dtype="<f4")
            return found

        return self._run("read", work) or {}

    def put_many(self, identity: str, keys: Sequence[bytes], vectors: Vectors) -> None:
        """Store one row of ``vectors`` per key for model ``identity`` (replacing old rows)."""
        if len(keys) != len(vectors):
            raise ValueError(f"put_many: {len(keys)} keys but {len(vectors)} vectors")
        if not keys:
            return
        matrix = np.ascontiguousarray(vectors, dtype="<f4")
        dim = int(matrix.shape[1])
        rows = [(identity, key, dim, matrix[i].tobytes()) for i, key in enumerate(keys)]

        if self._open() is None or self.read_only:
            return

        def work(conn: sqlite3.Connection) -> None:
            with conn:
                conn.executemany(
                    "INSERT OR REPLACE INTO embeddings (model, text_sha256, dim, vector) VALUES (?, ?, ?, ?)",
                    rows,
                )

        self._run("write", work)

    def count(self, identity: str | None = None) -> int:
        """Rows cached in total, or for one model identity."""

        def work(conn: sqlite3.Connection) -> int:
            if identity is None:
                return int(conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])
            query = "SELECT COUNT(*) FROM embeddings WHERE model = ?"
            return int(conn.execute(query, (identity,)).fetchone()[0])

        return self._run("count", work) or 0


@dataclass(frozen=True, slots=True)
class EmbedStats:
    """What one or more ``embed`` calls did.

    ``hits`` counts input rows served from the cache; ``misses`` counts distinct texts
    the model had to embed (a text repeated in one call is embedded once).
    """

    rows: int = 0
    hits: int = 0
    misses: int = 0

    def __add__(self, other: EmbedStats) -> EmbedStats:
        return EmbedStats(self.rows + other.rows, self.hits + other.hits, self.misses + other.misses)

    def summary(self) -> str:
        """E.g. ``"embedded 0 new segments, 1,234 from cache"``."""
        return f"embedded {self.misses:,} new segments, {self.hits:,} from cache"


class CachedEmbedder:
    """An :class:`~narratives.types.Embedder` that asks the cache first.

    Only texts missing from the cache reach the inner embedder (each distinct text
    once), so a fully cached run never loads the model. ``identity`` and ``dimension``
    are the inner embedder's.
    """

    def __init__(self, embedder: Embedder, cache: EmbeddingCache, *, store_every: int = STORE_EVERY) -> None:
        self.embedder = embedder
        self.cache = cache
        self.store_every = store_every
        """New texts embedded between writes to the cache."""
        self.last_stats = EmbedStats()
        self.stats = EmbedStats()
        """Cumulative over every call on this object."""

    @property
    def identity(self) -> str:
        return self.embedder.identity

    @property
    def dimension(self) -> int:
        return self.embedder.dimension

    @property
    def hits(self) -> int:
        """Rows served from the cache, over all calls."""
        return self.stats.hits

    @property
    def misses(self) -> int:
        """Distinct texts embedded by the model, over all calls."""
        return self.stats.misses

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> Vectors:
        """One L2-normalised ``float32`` row per text, in input order; misses are embedded and stored."""
        items = as_text_list(texts)
        identity = self.identity
        keys = [text_key(text) for text in items]
        found = self.cache.get_many(identity, keys) if items else {}
        missing: dict[bytes, str] = {}
        for key, text in zip(keys, items, strict=True):
            if key not in found and key not in missing:
                missing[key] = text
        if missing:
            found.update(self._embed_and_store(missing, progress))
        if not items:
            out = np.empty((0, self.dimension), dtype=np.float32)
        else:
            out = np.stack([found[key] for key in keys]).astype(np.float32, copy=False)
        hits = sum(1 for key in keys if key not in missing)
        self.last_stats = EmbedStats(rows=len(items), hits=hits, misses=len(missing))
        self.stats = self.stats + self.last_stats
        return out

    def _embed_and_store(self, missing: dict[bytes, str], progress: bool) -> dict[bytes, Vectors]:
        """Embed ``missing`` in chunks of ``store_every`` texts, storing each chunk as soon as it is done,
        so an interrupted run keeps what it embedded. Texts go in order of length, so a chunk's
        texts share few token lengths and its fixed-shape batches stay full."""
        from narratives.embed._batching import PartialEmbedding, progress_bar

        keys = sorted(missing, key=lambda key: len(missing[key]))
        chunks = batches(keys, self.store_every)
        fresh: dict[bytes, Vectors] = {}
        with progress_bar(progress and len(chunks) > 1, len(keys), len(chunks), unit="chunks") as advance:
            for chunk in chunks:
                try:
                    vectors = self.embedder.embed([missing[key] for key in chunk],
                                                  progress=progress and len(chunks) == 1)
                except PartialEmbedding as stopped:  # Ctrl-C: keep what this chunk embedded, then stop
                    self.cache.put_many(self.identity, [chunk[i] for i in stopped.rows], stopped.vectors)
                    raise
                self.cache.put_many(self.identity, chunk, vectors)
                fresh.update(zip(chunk, vectors, strict=True))
                advance()
        return fresh

    def describe(self) -> dict[str, Any]:
        """The inner embedder's description plus the cache file and counters."""
        describe = getattr(self.embedder, "describe", None)
        info: dict[str, Any] = dict(describe()) if callable(describe) else {"identity": self.identity}
        info["cache"] = str(self.cache.path)
        return info
