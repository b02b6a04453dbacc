"""Fitted topics kept on disk, so a re-run that changes only the codebook does not re-cluster.

The key is a sha256 of everything the clusterer sees: the vectors (bytes), the texts and
ids, the cluster settings, the seed, the package version and :data:`METHOD_VERSION`. The same key can only give
the same topics, so reusing them changes no output. Entries live next to the embedding
cache (``<cache_dir>/clusters/<key>.npz``); a missing file is a miss, a damaged one a miss with a
note (see :mod:`narratives.npz_store`), never an error.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from narratives.config import ClusterConfig
from narratives.models import Topic
from narratives.npz_store import NpzStore
from narratives.types import ClusterResult, Vectors

METHOD_VERSION = 2
"""Raised whenever a change to the clusterer changes its topics, so that topics cached by the
earlier code are not reused (2: neighbours by matrix products, placement on every core)."""


def cluster_key(vectors: Vectors, texts: Sequence[str], ids: Sequence[str], config: ClusterConfig, seed: int) -> str:
    """The hex sha256 naming one clustering's inputs and settings."""
    from narratives.about import __version__

    digest = hashlib.sha256()
    digest.update(f"{__version__}|{METHOD_VERSION}|{seed}|{config.model_dump_json()}|{vectors.shape}|".encode())
    digest.update(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
    for text, segment_id in zip(texts, ids, strict=True):
        digest.update(segment_id.encode("utf-8", "surrogatepass") + b"\0")
        digest.update(text.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


class ClusterCache:
    """Cluster results by key in ``<directory>/clusters/``; problems met are in :attr:`notes`."""

    def __init__(self, directory: str | Path) -> None:
        self.store = NpzStore(Path(directory) / "clusters", "cluster cache")

    @property
    def notes(self) -> list[str]:
        return self.store.notes

    def get(self, key: str) -> ClusterResult | None:
        """The stored result, or ``None`` when there is none (or it is damaged: then a note says so)."""
        data = self.store.load(key, ("meta", "labels", "map_rows", "map_xy"))
        if data is None:
            return None
        try:
            meta = json.loads(str(data["meta"]))
            return ClusterResult(
                labels=data["labels"].astype(np.int64),
                topics=tuple(
                    Topic(t["cluster"], t["size"], t["label"], tuple(t["keywords"]),
                          tuple(t["representative_ids"])) for t in meta["topics"]
                ),
                notes=tuple(meta["notes"]),
                map_rows=data["map_rows"].astype(np.intp),
                map_xy=data["map_xy"].astype(np.float32),
            )
        except (KeyError, ValueError, TypeError) as exc:
            self.store.damaged(key, exc)
            return None

    def put(self, key: str, result: ClusterResult) -> None:
        """Store ``result`` atomically; a cache that cannot be written only costs speed."""
        meta = {
            "topics": [
                {"cluster": t.cluster, "size": t.size, "label": t.label, "keywords": list(t.keywords),
                 "representative_ids": list(t.representative_ids)} for t in result.topics
            ],
            "notes": list(result.notes),
        }
        self.store.save(key, labels=result.labels, map_rows=result.map_rows, map_xy=result.map_xy,
                        meta=np.array(json.dumps(meta, ensure_ascii=False)))
