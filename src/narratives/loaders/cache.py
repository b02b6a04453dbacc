"""Loaded documents kept on disk, so a re-run does not parse every file again.

A file's entry is keyed on a sha256 of its bytes, its path, what the manifest tells its
loading (kind, title, interviewers), the loaders' own source code and the versions of the
libraries that read files. Any change to the file or to how it would be read is a miss, so
a hit gives exactly the document loading would. The manifest's ``doc_id`` and metadata do
not change how a file is parsed; they are set on the cached document on every hit.

Entries live in ``<cache_dir>/documents/<key>.json`` (see :mod:`narratives.npz_store`: a
damaged entry is a miss with a note, an unwritable folder only costs speed). Files that
could not be loaded are not kept, so a fixed file is read again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from narratives.models import Block, Document
from narratives.npz_store import NpzStore

READER_LIBRARIES = ("charset-normalizer", "python-docx", "odfpy", "pypdf", "trafilatura", "lxml", "webvtt-py")
"""Distributions whose version can change what a file loads as."""


@cache
def _loader_fingerprint() -> str:
    """sha256 of the loaders' source files and the reader libraries' versions (once per process)."""
    from narratives.about import __version__

    digest = hashlib.sha256(__version__.encode())
    root = Path(__file__).resolve().parent
    for source in sorted(root.rglob("*.py")):
        digest.update(source.relative_to(root).as_posix().encode())
        digest.update(source.read_bytes())
    for name in READER_LIBRARIES:
        try:
            digest.update(f"|{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"|{name}=-".encode())
    return digest.hexdigest()


def document_key(data: bytes, path: Path, *, kind: str | None, title: str | None,
                 interviewers: Sequence[str]) -> str:
    """The hex sha256 naming one file's loading: its bytes, path and loading settings."""
    digest = hashlib.sha256(_loader_fingerprint().encode())
    settings = json.dumps([str(path), kind, title, list(interviewers)], ensure_ascii=False)
    digest.update(settings.encode("utf-8", "surrogatepass"))
    digest.update(b"\0")
    digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def _to_json(document: Document) -> bytes:
    fields = asdict(document)
    fields.pop("doc_id")
    fields.pop("metadata")
    return json.dumps(fields, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _from_json(raw: bytes, doc_id: str, metadata_: Mapping[str, str]) -> Document:
    fields: dict[str, Any] = json.loads(raw.decode("utf-8", "surrogatepass"))
    blocks = tuple(Block(**block) for block in fields.pop("blocks"))
    warnings = tuple(fields.pop("warnings"))
    return Document(doc_id=doc_id, metadata=dict(metadata_), blocks=blocks, warnings=warnings, **fields)


class DocumentCache:
    """Loaded documents by key in ``<directory>/documents/``; problems met are in :attr:`notes`."""

    def __init__(self, directory: str | Path) -> None:
        self.store = NpzStore(Path(directory) / "documents", "document cache", suffix=".json")
        self.hits = 0

    @property
    def notes(self) -> list[str]:
        return self.store.notes

    def get(self, key: str, doc_id: str, metadata_: Mapping[str, str]) -> Document | None:
        """The document stored under ``key`` with this ``doc_id`` and metadata; ``None`` on a miss."""
        data = self.store.load_bytes(key)
        if data is None:
            return None
        try:
            document = _from_json(data, doc_id, metadata_)
        except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
            self.store.damaged(key, exc)
            return None
        self.hits += 1
        return document

    def put(self, key: str, document: Document) -> None:
        """Keep ``document`` under ``key`` (atomically; a folder that cannot be written only costs speed)."""
        self.store.save_bytes(key, _to_json(document))
