"""Load a corpus: find the files, join the manifest, load each file, keep going on errors.

Order and ids are deterministic: inputs in the order given, each folder's files sorted
by their path relative to it; ``doc_id`` from the manifest, else a slug of the file stem
made unique with ``-2``, ``-3`` in that order.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from narratives.backends import Mapper, batches, local_map
from narratives.errors import InputError, LoaderError
from narratives.loaders.cache import DocumentCache, document_key
from narratives.loaders.corpus_manifest import MANIFEST_NAMES, ManifestEntry, read_manifest
from narratives.loaders.document import load_document, printable, slugify
from narratives.loaders.participants import is_participants_table, listing, match_speakers, read_participants
from narratives.loaders.turns import has_standard_label
from narratives.models import Corpus, Document, SkippedFile


def _skip(path: Path, reason: str) -> SkippedFile:
    return SkippedFile(printable(path), printable(reason))


def _skipped_name(relative: Path) -> bool:
    """Hidden files and folders, README files and manifests are not documents."""
    if any(part.startswith(".") for part in relative.parts):
        return True
    name = relative.name.lower()
    return name.startswith("readme") or name in MANIFEST_NAMES


def _resolve(path: Path) -> Path | None:
    """Where ``path`` really is, or ``None`` for a link loop (``a -> b -> a``, ``self -> self``)."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError("Symlink loop"), newer ones OSError
        return None


_LOOP = "a link that leads back to itself (a link loop); nothing to read. Remove the link or point it at a file"


def _walk(root: Path, follow_links: bool) -> tuple[list[Path], list[SkippedFile]]:
    """Files under the folder ``root`` (hidden, README and manifest files left out) and the
    links and folders not read: a link whose target lies outside ``root`` is skipped unless
    ``follow_links``, so a link to ``/etc/passwd`` never lands in a report; a link loop and a
    folder that cannot be opened are listed with their reason."""
    resolved_root = root.resolve()
    files: list[Path] = []
    skipped: list[SkippedFile] = []
    visited: set[Path] = set()

    def unreadable(error: OSError) -> None:
        where = Path(error.filename) if error.filename else root
        skipped.append(_skip(where, f"a folder that cannot be opened ({error.strerror or error}); nothing in it was "
                                    "read. Give yourself read permission on it (chmod u+rx) or copy its files out"))

    for folder, dirs, names in os.walk(root, followlinks=follow_links, onerror=unreadable):
        here = Path(folder)
        real = _resolve(here)
        if real is None or real in visited:  # a link loop when following links
            dirs[:] = []
            continue
        visited.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for d in list(dirs):
            link = here / d
            if not link.is_symlink():
                continue
            target = _resolve(link)
            if target is None:
                skipped.append(_skip(link, _LOOP))
                dirs.remove(d)
            elif not follow_links and not target.is_relative_to(resolved_root):
                skipped.append(_skip(link, _OUTSIDE.format(target=target)))
        for name in sorted(names):
            file = here / name
            if _skipped_name(file.relative_to(root)):
                continue
            if file.is_symlink():
                target = _resolve(file)
                if target is None:
                    skipped.append(_skip(file, _LOOP))
                    continue
                if not target.exists():
                    skipped.append(_skip(file, f"a link to {target}, which does not exist; "
                                                          "fix or remove the link"))
                    continue
                if not follow_links and not target.is_relative_to(resolved_root):
                    skipped.append(_skip(file, _OUTSIDE.format(target=target)))
                    continue
            if file.is_file():
                files.append(file)
    return files, skipped


_OUTSIDE = ("a link to {target}, outside the input folder; not followed. Copy the file into the folder, "
            "or pass --follow-links to read what links point to")


def discover(inputs: Sequence[str | Path], manifest: Path | None = None,
             extra: Sequence[Path] = (), *, follow_links: bool = False) -> tuple[list[Path], list[SkippedFile]]:
    """The files to load, in a stable order, without duplicates, and the links not followed.

    ``extra`` files (manifest rows) join when they lie inside an input folder, even if
    the folder scan would skip them (e.g. a hidden file named in the manifest). A file
    named as an input is read even when it is a link: the user asked for it.

    Raises:
        InputError: an input path does not exist.
    """
    found: list[Path] = []
    skipped: list[SkippedFile] = []
    seen: dict[Path, int] = {}
    for item in inputs:
        root = Path(item)
        if root.is_symlink() and _resolve(root) is None:
            raise InputError(f"{root}: {_LOOP}")
        if not root.exists():
            raise InputError(f"{root}: input not found; check the path (a file or a folder of documents)")
        if root.is_file():
            candidates = [root]
        else:
            resolved_root = root.resolve()
            inside, links = _walk(root, follow_links)
            skipped += links
            inside += [root / f.relative_to(resolved_root) for f in extra
                       if f.is_relative_to(resolved_root)]
            candidates = sorted(inside, key=lambda f: f.relative_to(root).as_posix())
        for file in candidates:
            key = file.resolve()
            if manifest is not None and key == manifest.resolve():
                continue
            if key in seen:  # the same file twice (a link to it): keep its real name
                if found[seen[key]].is_symlink() and not file.is_symlink():
                    found[seen[key]] = file
                continue
            seen[key] = len(found)
            found.append(file)
    return found, skipped


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
    inputs: Sequence[str | Path], manifest: str | Path | None = None, *, mapper: Mapper = local_map,
    follow_links: bool = False, participants: str | Path | None = None, cache_dir: str | Path | None = None,
) -> Corpus:
    """Load every document under ``inputs`` (files or folders, searched recursively).

    With a ``manifest``, its rows give doc_id, kind, title, interviewers and metadata. With a
    ``participants`` table (or a manifest without a ``file`` column, which is one), each
    transcript speaker is joined to its row by id (:mod:`narratives.loaders.participants`).
    Files in the inputs but not in the manifest load with inferred kind and no
    metadata; manifest rows whose file is not among the inputs are ignored with a
    corpus warning. With a manifest and no inputs, the manifest's files are loaded.
    A file that cannot be read is recorded in :attr:`Corpus.skipped` with the reason, and
    so is a link inside an input folder that points outside it (unless ``follow_links``).

    Raises:
        InputError: an input does not exist, or there is nothing to load.
        ManifestError: the manifest is malformed (see :func:`read_manifest`).

    Files are read in batches of :data:`LOAD_BATCH` through ``mapper`` (in-process by
    default; on Ray workers with ``--backend ray``); the result is the same. With a
    ``cache_dir``, a file loaded before with the same bytes and settings is taken from its
    ``documents/`` folder instead of being parsed again (:mod:`narratives.loaders.cache`).
    """
    manifest_path = Path(manifest) if manifest is not None else None
    table_path = Path(participants) if participants is not None else None
    if manifest_path is not None and table_path is None and is_participants_table(manifest_path):
        table_path, manifest_path = manifest_path, None  # a paper's Table 1 given as the manifest
    entries = {e.file: e for e in read_manifest(manifest_path)} if manifest_path is not None else {}
    if not inputs and not entries:
        raise InputError("no inputs given; pass files or folders of documents")
    files, links = (discover(inputs, manifest_path, tuple(entries), follow_links=follow_links) if inputs
                    else (list(entries), []))
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
    loaded_files, cache_notes = _load_all(jobs, mapper, cache_dir)
    warnings += cache_notes
    documents = tuple(item for item in loaded_files if isinstance(item, Document))
    skipped = (*links, *(item for item in loaded_files if isinstance(item, SkippedFile)))
    documents, notes = _transcripts_by_majority(documents, jobs)
    if table_path is None:
        return Corpus(documents, skipped, (*warnings, *notes))
    table = read_participants(table_path)
    matches = match_speakers(documents, table)
    return Corpus(documents, skipped, (*warnings, *notes, *matches.notes(table)),
                  participants=table.attributes_by_id(), speaker_ids=matches.by_speaker,
                  participants_source=table.source)


def _transcripts_by_majority(
    documents: tuple[Document, ...], jobs: Sequence[tuple[Path, str, ManifestEntry | None]]
) -> tuple[tuple[Document, ...], list[str]]:
    """In a corpus that is mostly transcripts (counting files with a speaker label), a file read
    as ``other`` that has a speaker label (one ``P1:`` answer) is an interview too: read it again
    as a transcript, and say so. Files left as ``other`` among transcripts are listed, as the
    tool is unsure about them."""
    by_id = {doc_id: (file, entry) for file, doc_id, entry in jobs}
    transcripts = sum(d.kind == "transcript" for d in documents)
    given = {doc_id: entry.kind for doc_id, (_, entry) in by_id.items() if entry is not None and entry.kind}
    labelled = {
        d.doc_id for d in documents
        if d.kind == "other" and d.doc_id not in given and has_standard_label(d.text.split("\n"))
    }
    if transcripts + len(labelled) < max(2, len(documents) / 2):
        return documents, []
    out: list[Document] = []
    reread: list[str] = []
    unsure: list[str] = []
    for document in documents:
        file, entry = by_id[document.doc_id]
        if document.kind != "other" or document.doc_id in given:
            out.append(document)
            continue
        if document.doc_id in labelled:
            try:
                document = load_document(file, doc_id=document.doc_id, kind="transcript",
                                         metadata=entry.metadata if entry else None,
                                         title=entry.title if entry else None,
                                         interviewers=entry.interviewers if entry else ())
                reread.append(document.doc_id)
            except LoaderError:  # it loaded a moment ago as prose: keep that
                unsure.append(document.doc_id)
        else:
            unsure.append(document.doc_id)
        out.append(document)
    notes = []
    if reread:
        notes.append(
            f"{len(reread)} file(s) with few speaker labels were read as transcripts, as {transcripts + len(labelled)} "
            f"of the {len(documents)} documents have speaker turns ({listing(reread)}); set kind in the manifest "
            "if that is wrong"
        )
    if unsure:
        notes.append(
            f"{len(unsure)} file(s) have no speaker labels in a corpus of transcripts and were read as 'other' "
            f"({listing(unsure)}): their text is coded as a whole. Label the turns (P1:, Interviewer:) or set "
            "kind in the manifest"
        )
    return tuple(out), notes


Job = tuple[Path, str, ManifestEntry | None]


def _key(job: Job) -> str | None:
    file, _, entry = job
    try:
        data = file.read_bytes()
    except OSError:
        return None  # the loader says why
    return document_key(data, file, kind=entry.kind if entry else None, title=entry.title if entry else None,
                        interviewers=entry.interviewers if entry else ())


def _load_all(jobs: Sequence[Job], mapper: Mapper, cache_dir: str | Path | None
              ) -> tuple[list[Document | SkippedFile], list[str]]:
    """Every job's document (from the cache where it has one) or skip reason, in job order; and the
    cache's notes."""
    if cache_dir is None:
        return [item for batch in mapper(_load_batch, None, batches(jobs, LOAD_BATCH)) for item in batch], []
    cache = DocumentCache(cache_dir)
    out: list[Document | SkippedFile | None] = [None] * len(jobs)
    keys: list[str | None] = []
    for i, job in enumerate(jobs):
        key = _key(job)
        keys.append(key)
        if key is not None:
            _, doc_id, entry = job
            out[i] = cache.get(key, doc_id, {str(k): str(v) for k, v in (entry.metadata if entry else {}).items()})
    missing = [i for i, item in enumerate(out) if item is None]
    parsed = [item for batch in mapper(_load_batch, None, batches([jobs[i] for i in missing], LOAD_BATCH))
              for item in batch]
    for i, item in zip(missing, parsed, strict=True):
        out[i] = item
        key = keys[i]
        if isinstance(item, Document) and key is not None:
            cache.put(key, item)
    return [item for item in out if item is not None], cache.notes


def _load_batch(_: None, jobs: Sequence[Job]) -> list[Document | SkippedFile]:
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
            out.append(_skip(file, exc.reason))
        except (MemoryError, RecursionError) as exc:
            out.append(_skip(file, f"too large or too deeply nested to read ({type(exc).__name__}); "
                                              "split the file or save it in a simpler format"))
        except Exception as exc:  # a reader's library failed: this file is skipped, the batch goes on
            out.append(_skip(file, f"could not be read ({type(exc).__name__}: {exc}); "
                                              "save it again in another supported format"))
    return out
