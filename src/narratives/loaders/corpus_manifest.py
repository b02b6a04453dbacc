"""Corpus manifests: one row per document, CSV or YAML.

Columns (CSV) or keys (YAML, a list of mappings or ``{documents: [...]}``):

* ``file`` — required, relative to the manifest's folder;
* ``doc_id``, ``kind`` (transcript, news, paper, other), ``title``, ``interviewer``
  (names whose turns are the interviewer's, separated by ``;`` or ``,``) — optional;
* any other column (``gender``, ``specialty``, ``country``, ``years_abroad``, ``outlet``,
  ``date`` …) becomes :attr:`Document.metadata`, as strings; empty cells are left out.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from narratives.errors import ManifestError
from narratives.models import DOCUMENT_KINDS, DocumentKind

MANIFEST_NAMES = ("manifest.csv", "manifest.yaml", "manifest.yml")
"""File names never loaded as documents when found inside an input folder."""

_RESERVED = {"file", "doc_id", "kind", "title", "interviewer"}


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One validated manifest row. ``file`` is absolute; ``row`` is 1-based as shown to users
    (the CSV line number, header being line 1; the YAML entry number)."""

    file: Path
    row: int
    doc_id: str | None = None
    kind: DocumentKind | None = None
    title: str | None = None
    interviewers: tuple[str, ...] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)


def _rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ManifestError(f"{path}: not UTF-8 text ({exc.reason}); save the manifest as UTF-8") from exc
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "file" not in [f.strip() for f in reader.fieldnames]:
            raise ManifestError(f"{path}: no 'file' column; the first line must name the columns, "
                                "e.g. file,doc_id,kind")
        return [(reader.line_num, {(k or "").strip(): v for k, v in row.items()}) for row in reader]
    import yaml

    from narratives.safe_yaml import load_yaml

    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise ManifestError(f"{path}: not valid YAML: {exc}") from exc
    if isinstance(data, dict):
        data = data.get("documents", data.get("files"))
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ManifestError(f"{path}: expected a list of entries (or 'documents:' holding one), "
                            "each a mapping with at least 'file'")
    return [(i, {str(k).strip(): v for k, v in item.items()}) for i, item in enumerate(data, start=1)]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(_text(v) for v in value)
    return str(value).strip()


def read_manifest(path: str | Path) -> list[ManifestEntry]:
    """Read and validate a CSV or YAML manifest.

    Raises:
        ManifestError: naming the manifest, the row and the problem — a missing or
            unknown file, a duplicate file or doc_id, or a kind that is not one of
            transcript, news, paper, other.
    """
    path = Path(path)
    if not path.is_file():
        raise ManifestError(f"{path}: manifest not found; check the path given as the manifest")
    if path.suffix.lower() not in (".csv", ".yaml", ".yml"):
        raise ManifestError(f"{path}: a manifest must be .csv, .yaml or .yml")
    base = path.parent.resolve()
    entries: list[ManifestEntry] = []
    seen_files: dict[Path, int] = {}
    seen_ids: dict[str, int] = {}
    for row, record in _rows(path):
        where = f"{path}: row {row}"
        name = _text(record.get("file"))
        if not name:
            raise ManifestError(f"{where}: 'file' is empty; give the document's path relative to "
                                f"{base}")
        file = Path(os.path.realpath(base / name))  # a link loop stays a path that is no file, not a crash
        if not file.is_file():
            raise ManifestError(f"{where}: file '{name}' not found (looked for {file}); fix the "
                                "path or remove the row")
        if file in seen_files:
            raise ManifestError(f"{where}: file '{name}' is already listed in row {seen_files[file]}; "
                                "list each file once")
        seen_files[file] = row
        doc_id = _text(record.get("doc_id")) or None
        if doc_id is not None:
            if re.search(r"\s", doc_id):
                raise ManifestError(f"{where}: doc_id '{doc_id}' contains spaces; use letters, digits, "
                                    "'-' or '_'")
            if doc_id in seen_ids:
                raise ManifestError(f"{where}: doc_id '{doc_id}' is already used in row "
                                    f"{seen_ids[doc_id]}; doc_ids must be unique")
            seen_ids[doc_id] = row
        kind_text = _text(record.get("kind")).lower()
        kind = next((k for k in DOCUMENT_KINDS if k == kind_text), None)
        if kind_text and kind is None:
            raise ManifestError(f"{where}: kind '{kind_text}' is not valid; use one of "
                                f"{', '.join(DOCUMENT_KINDS)} (or leave it empty to infer)")
        interviewers = tuple(n.strip() for n in re.split(r"[;,]", _text(record.get("interviewer")))
                             if n.strip())
        metadata = {k: _text(v) for k, v in record.items()
                    if k and k not in _RESERVED and _text(v)}
        entries.append(ManifestEntry(file, row, doc_id, kind, _text(record.get("title")) or None,
                                     interviewers, metadata))
    return entries
