"""Load a corpus: find the files, join the manifest, load each file, keep going on errors.

Order and ids are deterministic: inputs in the order given, each folder's files sorted
by their path relative to it; ``doc_id`` from the manifest, else a slug of the file stem
made unique with ``-2``, ``-3`` in that order.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from narratives.backends import Mapper, batches, local_map
from narratives.errors import InputError, LoaderError
from narratives.loaders.document import load_document, slugify
from narratives.loaders.manifest import MANIFEST_NAMES, ManifestEntry, read_manifest
from narratives.models import Corpus, Document, SkippedFile


def _skipped_name(relative: Path) -> bool:
    """Hidden files and folders, README files and manifests are not documents."""
    if any(part.startswith(".") for part in relative.parts):
        return True
    name = relative.name.lower()
    return name.startswith("readme") or name in MANIFEST_NAMES


def discover(inputs: Sequence[str | Path], manifest: Path | None = None,
             extra: Sequence[Path] = ()) -> list[Path]:
    """The files to load, in a stable order, without duplicates.

    ``extra`` files (manifest rows) join when they lie inside an input folder, even if
    the folder scan would skip them (e.g. a hidden file named in the manifest).

    Raises:
        InputError: an input path does not exist.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    for item in inputs:
        root = Path(item)
        if not root.exists():
            raise InputError(f"{root}: input not found; check the path (a file or a folder of documents)")
        if root.is_file():
            candidates = [root]
        else:
            resolved_root = root.resolve()
            inside = [f for f in root.rglob("*") if f.is_file()
                      and not _skipped_name(f.relative_to(root))]
            inside += [root / f.relative_to(resolved_root) for f in extra
                       if f.is_relative_to(resolved_root)]
            candidates = sorted(inside, key=lambda f: f.relative_to(root).as_posix())
        for file in candidates:
            key = file.resolve()
            if key in seen or (manifest is not None and key == manifest.resolve()):
                continue
            seen.add(key)
            found.append(file)
    return found


def _assign_ids(files: Sequence[Path], entries: dict[Path, ManifestEntry]) -> list[str]:
    used = {e.doc_id for e in entries.values() if e.doc_id}
    ids: list[str] = []
    for file in files:
        known = entries.get(file.resolve())
        if known is not None and known.doc_id:
            ids.append(known.doc_id)
            continue
        base = slugify(file.stem)
        candidate, n = base, 1
        while candidate in used:
            n += 1
            candidate = f"{base}-{n}"
        used.add(candidate)
        ids.append(candidate)
    return ids


LOAD_BATCH = 32
"""Files per batch of work handed to the backend."""


def load_corpus(
    inputs: Sequence[str | Path], manifest: str | Path | None = None, *, mapper: Mapper = local_map
) -> Corpus:
    """Load every document under ``inputs`` (files or folders, searched recursively).

    With a ``manifest``, its rows give doc_id, kind, title, interviewers and metadata.
    Files in the inputs but not in the manifest load with inferred kind and no
    metadata; manifest rows whose file is not among the inputs are ignored with a
    corpus warning. With a manifest and no inputs, the manifest's files are loaded.
    A file that cannot be read is recorded in :attr:`Corpus.skipped` with the reason.

    Raises:
        InputError: an input does not exist, or there is nothing to load.
        ManifestError: the manifest is malformed (see :func:`read_manifest`).

    Files are read in batches of :data:`LOAD_BATCH` through ``mapper`` (in-process by
    default; on Ray workers with ``--backend ray``); the result is the same.
    """
    manifest_path = Path(manifest) if manifest is not None else None
    entries = {e.file: e for e in read_manifest(manifest_path)} if manifest_path is not None else {}
    if not inputs and not entries:
        raise InputError("no inputs given; pass files or folders of documents")
    files = discover(inputs, manifest_path, tuple(entries)) if inputs else list(entries)
    if not files:
        shown = ", ".join(str(i) for i in inputs)
        raise InputError(f"{shown}: no documents found (hidden, README and manifest files are skipped)")
    warnings: list[str] = []
    loaded = {f.resolve() for f in files}
    for unused in entries.values():
        if unused.file not in loaded:
            warnings.append(f"{manifest_path}: row {unused.row}: {unused.file} is not among the inputs; "
                            "ignored")
    jobs = [(file, doc_id, entries.get(file.resolve()))
            for file, doc_id in zip(files, _assign_ids(files, entries), strict=True)]
    loaded_files = [item for batch in mapper(_load_batch, None, batches(jobs, LOAD_BATCH)) for item in batch]
    documents = tuple(item for item in loaded_files if isinstance(item, Document))
    skipped = tuple(item for item in loaded_files if isinstance(item, SkippedFile))
    return Corpus(documents, skipped, tuple(warnings))


def _load_batch(_: None, jobs: Sequence[tuple[Path, str, ManifestEntry | None]]) -> list[Document | SkippedFile]:
    """Each file of the batch loaded, or the reason it was skipped."""
    out: list[Document | SkippedFile] = []
    for file, doc_id, entry in jobs:
        try:
            out.append(load_document(
                file, doc_id=doc_id,
                kind=entry.kind if entry else None,
                metadata=entry.metadata if entry else None,
                title=entry.title if entry else None,
                interviewers=entry.interviewers if entry else (),
            ))
        except LoaderError as exc:
            out.append(SkippedFile(str(file), exc.reason))
    return out
