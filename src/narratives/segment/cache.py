"""Segment boundaries kept on disk, so re-running the same corpus does not segment it again.

The key is a sha256 of everything segmentation reads: each document's id, text and
blocks (kind, offsets, speaker, role), the ``segment`` settings, the spaCy version and
pipeline, and the segmenter's rules version. Only offsets are stored; the segments are
rebuilt from the documents, so a hit gives exactly what segmenting would. Entries live
next to the embedding cache (``<cache_dir>/segments/<key>.npz``); a missing file is a miss,
a damaged one a miss with a note (see :mod:`narratives.npz_store`), never an error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import numpy as np

from narratives.config import SegmentConfig
from narratives.models import Document, Segment
from narratives.npz_store import NpzStore
from narratives.segment.spacy_segmenter import RULES_VERSION, make_segment, package_names


def _spacy_versions(config: SegmentConfig) -> str:
    names = ["spacy"] if config.spacy_model == "blank" else ["spacy", *package_names(config.spacy_model)]
    found = []
    for name in names:
        try:
            found.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return ",".join(found)


def segments_key(documents: Sequence[Document], config: SegmentConfig) -> str:
    """The hex sha256 naming one segmentation's inputs and settings."""
    from narratives.about import __version__

    digest = hashlib.sha256()
    digest.update(f"{__version__}|{RULES_VERSION}|{_spacy_versions(config)}|{config.model_dump_json()}|".encode())
    for document in documents:
        digest.update(f"\0{document.doc_id}\0{len(document.text)}\0".encode("utf-8", "surrogatepass"))
        digest.update(document.text.encode("utf-8", "surrogatepass"))
        for block in document.blocks:
            digest.update(f"|{block.kind},{block.start},{block.end},{block.speaker},{block.role}".encode(
                "utf-8", "surrogatepass"))
    return digest.hexdigest()


class SegmentCache:
    """Segment offsets by key in ``<directory>/segments/``; problems met are in :attr:`notes`."""

    def __init__(self, directory: str | Path) -> None:
        self.store = NpzStore(Path(directory) / "segments", "segment cache")

    @property
    def notes(self) -> list[str]:
        return self.store.notes

    def get(self, key: str, documents: Sequence[Document]) -> list[Segment] | None:
        """The segments stored under ``key``, rebuilt from ``documents``; ``None`` on a miss."""
        data = self.store.load(key, ("segments", "unit"))
        if data is None:
            return None
        try:
            unit = str(data["unit"])
            return [
                make_segment(documents[d], unit, int(n), int(b), int(s), int(e))
                for d, n, b, s, e in data["segments"].tolist()
            ]
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            self.store.damaged(key, exc)
            return None

    def put(self, key: str, segments: Sequence[Segment], documents: Sequence[Document]) -> None:
        """Store the offsets of ``segments`` atomically; a cache that cannot be written only costs speed."""
        position = {d.doc_id: i for i, d in enumerate(documents)}
        columns = np.array(
            [(position[s.doc_id], s.index, s.block, s.start, s.end) for s in segments], dtype=np.int64
        ).reshape(-1, 5)
        unit = segments[0].unit if segments else "sentence"
        self.store.save(key, segments=columns, unit=np.array(unit))
