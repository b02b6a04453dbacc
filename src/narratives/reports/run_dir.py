"""Read back a run directory written by ``narratives run --out DIR``.

Export, agreement and report rebuilding work from the directory alone: the documents'
analysed text (``documents.jsonl``), the codebook as used (``codebook.yaml``), the
segments and candidate quotes (CSV) and the run manifest.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from narratives.errors import InputError
from narratives.models import Codebook, Document
from narratives.reports.page.plots import Plots
from narratives.reports.page.tables import ReportTables
from narratives.spreadsheet import read_csv_frame, restore

__all__ = ["SavedRun", "load_run"]


@dataclass(frozen=True)
class SavedRun(Plots):
    """A finished run, as read from its output directory.

    ``documents`` are keyed by ``doc_id``; their ``blocks`` are not saved (empty).
    ``segments`` and ``quotes`` are the CSV files as DataFrames (``doc_id`` and
    ``segment_id`` as strings, offsets as integers, metadata columns as text).
    """

    path: Path
    manifest: dict[str, Any]
    codebook: Codebook
    documents: dict[str, Document]
    segments: pd.DataFrame
    quotes: pd.DataFrame
    topics: pd.DataFrame
    topic_map: pd.DataFrame
    """``segment_id, cluster, x, y`` of the segments on the topic map (empty when none was drawn)."""
    prevalence: pd.DataFrame | None = None
    """``prevalence.csv``: shares corrected by a verified random sample (``run --verified``), if any."""

    def report_tables(self) -> ReportTables:
        """The tables the report's charts and the ``plot_*`` methods are drawn from."""
        by = tuple(self.manifest.get("config", {}).get("report", {}).get("by", ()))
        return ReportTables(
            codebook=self.codebook, segments=self.segments, topics=self.topics, topic_map=self.topic_map, by=by
        )

    @property
    def codebook_sha256(self) -> str:
        """The hash of the codebook file the run was given (as in the run manifest)."""
        return str(self.manifest.get("codebook", {}).get("sha256") or self.codebook.sha256)

    @property
    def model(self) -> str:
        """The embedding model's name and short hash, for provenance notes."""
        model = self.manifest.get("model", {})
        name = model.get("name") or model.get("identity") or "unknown model"
        digest = str(model.get("sha256") or model.get("weights_sha256") or "")[:12]
        return f"{name} ({digest})" if digest else str(name)


def load_run(path: str | Path, *, verify: bool = True) -> SavedRun:
    """Read the run directory ``path``; :class:`InputError` names what is missing and why.

    ``verify`` checks the tables against the sha256 the manifest records (:func:`check_files`);
    the writer, reading back what it has just written and hashed, leaves it off."""
    from narratives.codebook import load_codebook

    run = Path(path)
    if not (run / "run_manifest.json").is_file():
        raise InputError(
            f"{run}: not a narratives run directory (no run_manifest.json); give the folder "
            "that `narratives run --out` wrote"
        )
    for name in ("documents.jsonl", "codebook.yaml", "segments.csv", "quotes.csv", "topics.csv"):
        if not (run / name).is_file():
            raise InputError(
                f"{run}: {name} is missing; this run was written by an older narratives or "
                "edited by hand. Re-run `narratives run` to write a complete directory"
            )
    manifest = _read_manifest(run / "run_manifest.json")
    if verify:
        check_files(run, manifest)
    documents: dict[str, Document] = {}
    try:
        with (run / "documents.jsonl").open(encoding="utf-8") as fh:
            for line_no, line in enumerate(fh, start=1):
                try:
                    d = json.loads(line)
                    documents[d["doc_id"]] = Document(
                        doc_id=d["doc_id"], text=d["text"], kind=d["kind"], title=d.get("title", d["doc_id"]),
                        source=d["source"], blocks=(), metadata=d.get("metadata", {}),
                        sha256=d.get("sha256", ""),
                    )
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    raise InputError(
                        f"{run / 'documents.jsonl'}: line {line_no} is not a document record ({exc}); {_REWRITE}"
                    ) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{run / 'documents.jsonl'}: not UTF-8 text (byte {exc.start}); {_REWRITE}") from None
    text_columns = {"doc_id": str, "segment_id": str, "speaker": str, "theme": str, "subtheme": str}
    from narratives.reports.columns import SEGMENT_COLUMNS

    with (run / "segments.csv").open(encoding="utf-8", errors="replace", newline="") as fh:
        header = [restore(h) for h in next(csv.reader(fh), [])]
    # metadata columns (the manifest's and the participants table's) are text, whatever they look like
    metadata_columns = {key: str for key in header if key not in SEGMENT_COLUMNS}
    segments = _read_csv(run / "segments.csv", {**metadata_columns, **text_columns})
    quotes = _read_csv(run / "quotes.csv", text_columns)
    topics = _read_csv(run / "topics.csv", {"theme": str, "subtheme": str, "label": str, "keywords": str})
    topic_map = (
        _read_csv(run / "topic_map.csv", {"segment_id": str}) if (run / "topic_map.csv").is_file()
        else pd.DataFrame(columns=["segment_id", "cluster", "x", "y"])
    )
    return SavedRun(
        path=run,
        manifest=manifest,
        codebook=load_codebook(run / "codebook.yaml"),
        documents=documents,
        segments=segments,
        quotes=quotes,
        topics=topics,
        topic_map=topic_map,
        prevalence=_read_csv(run / "prevalence.csv", {"code": str, "group": str})
        if (run / "prevalence.csv").is_file() else None,
    )


_REWRITE = "the run folder is damaged: run `narratives run` again to write it anew, or copy the whole folder again"

RECORDED_FILES = (
    "segments.csv", "theme_frequencies.csv", "quotes.csv", "topics.csv", "topic_map.csv", "documents.jsonl",
    "codebook.yaml", "prevalence.csv",
)
"""The files whose sha256 ``run_manifest.json`` records (``files``), checked before a run folder is used."""


def file_hashes(folder: Path) -> dict[str, str]:
    """sha256 of each of :data:`RECORDED_FILES` present in ``folder``."""
    import hashlib

    out = {}
    for name in RECORDED_FILES:
        path = folder / name
        if path.is_file():
            with path.open("rb") as fh:
                out[name] = hashlib.file_digest(fh, "sha256").hexdigest()
    return out


def check_files(run: Path, manifest: Mapping[str, Any]) -> None:
    """Refuse a run folder whose tables differ from what the run wrote (cut short by a copy, or edited).

    Folders written before the manifest recorded ``files`` are not checked."""
    recorded = manifest.get("files")
    if not isinstance(recorded, Mapping):
        return
    found = file_hashes(run)
    changed = [name for name, digest in recorded.items() if name in found and found[name] != digest]
    if changed:
        raise InputError(
            f"{run}: {', '.join(changed)} differ(s) from what the run wrote (sha256 in run_manifest.json): "
            f"cut short or edited since. {_REWRITE[0].upper() + _REWRITE[1:]}"
        )


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable run manifest ({exc}); {_REWRITE}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a run manifest (a JSON object is expected); {_REWRITE}")
    return data


def _read_csv(path: Path, dtype: Mapping[str, type]) -> pd.DataFrame:
    try:
        return read_csv_frame(path, dtype=dtype, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: empty (not even a header row); {_REWRITE}") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{path}: cannot be read as the run's table ({exc}); {_REWRITE}") from None
