"""Load one file into a :class:`~narratives.models.Document`.

read bytes → format reader (lines) → speaker turns? → else kind, cleaning, paragraphs →
text and blocks → title. Offsets are computed last, on the cleaned text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from narratives.codebook.lookup import slugify as codebook_slug
from narratives.errors import LoaderError
from narratives.loaders.base import Extracted
from narratives.loaders.formats import reader_for
from narratives.loaders.furniture import clean_units
from narratives.loaders.kinds import infer_kind
from narratives.loaders.paragraphs import assemble, lines_to_units
from narratives.loaders.turns import build_transcript, timed_lines
from narratives.models import DOCUMENT_KINDS, Block, Document, DocumentKind

_GENERIC_HEADINGS = re.compile(
    r"^(?:abstract|introduction|background|summary|contents|table of contents|research paper|"
    r"original article|review article|research article|editorial|transcript|interview)$",
    re.IGNORECASE,
)


def slugify(text: str) -> str:
    """A document id from a file name: :func:`narratives.codebook.lookup.slugify`, ``doc`` when
    nothing is left (``"P1 Interview (final)"`` → ``"p1-interview-final"``)."""
    return codebook_slug(text) or "doc"


def printable(text: str | Path) -> str:
    """``text`` writable as UTF-8: the bytes of a file name that is not valid UTF-8 (which
    Python keeps as lone surrogates) shown as ``\\xff`` escapes."""
    value = str(text)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return value


def _plausible_title(title: str | None) -> str | None:
    if not title:
        return None
    title = " ".join(title.split())
    if (not title or re.search(r"\.(?:docx?|pdf|odt|txt|md|html?)$", title, re.IGNORECASE)
            or title.lower().startswith(("microsoft word", "untitled")) or (" " not in title and "_" in title)):
        return None
    return title


def _choose_title(blocks: Sequence[Block], text: str, given: str | None, stem: str) -> str:
    """First heading before any paragraph (skipping generic labels), else the file stem."""
    if given:
        return given
    for block in blocks:
        if block.kind != "heading":
            break
        candidate = text[block.start:block.end]
        if not _GENERIC_HEADINGS.match(candidate.strip(" :")):
            return candidate
    return stem


def build_document(extracted: Extracted, *, path: Path, data: bytes, doc_id: str,
                   kind: DocumentKind | None, metadata: Mapping[str, str], title: str | None,
                   interviewers: Sequence[str]) -> Document:
    """Turn a reader's output into a Document (see the module docstring for the steps)."""
    warnings = list(extracted.warnings)
    if not any(line.text.strip() for line in extracted.lines):
        raise LoaderError(path, "no text found; check that the file is not empty or only images")
    transcript = None
    if kind in (None, "transcript"):
        transcript = build_transcript(extracted.lines, interviewers=interviewers,
                                      forced=kind == "transcript" or extracted.hint == "transcript")
    if transcript is not None:
        text, blocks = transcript
        kind = "transcript"
        speakers = sorted({b.speaker for b in blocks if b.kind == "turn" and b.speaker})
        if len(speakers) >= 2 and not any(b.role == "interviewer" for b in blocks):
            warnings.append(
                f"no interviewer recognised among the speakers ({', '.join(speakers[:6])}): every turn is coded, "
                "questions included. Name the interviewer in the manifest's interviewer column (or label the "
                "turns Interviewer:)")
    else:
        units = lines_to_units(extracted)
        timed = timed_lines(line.text for line in extracted.lines)
        if kind == "transcript":
            warnings.append("the manifest says transcript, but no speaker labels (P5:, Interviewer:) "
                            "were found; the text is kept as paragraphs and coded as a whole")
        elif timed >= 3:
            warnings.append(
                f"{timed} lines start with a time, as transcripts do, but no speaker turns were recognised: the "
                "text is coded as a whole, any interviewer's questions included. Label the turns (P1:, "
                "Interviewer:) or give the file a manifest row with kind transcript and its interviewer")
        kind = kind or infer_kind(units, extracted.hint)
        text, blocks = assemble(clean_units(units))
    if not text.strip():
        raise LoaderError(path, "nothing left after removing references and boilerplate; check the file")
    return Document(
        doc_id=doc_id,
        text=text,
        kind=kind,
        title=_choose_title(blocks, text, title or _plausible_title(extracted.title), printable(path.stem)),
        source=printable(path),
        blocks=tuple(blocks),
        metadata=dict(metadata),
        sha256=hashlib.sha256(data).hexdigest(),
        warnings=tuple(warnings),
    )


def load_document(path: str | Path, *, kind: DocumentKind | None = None, doc_id: str | None = None,
                  metadata: Mapping[str, str] | None = None, title: str | None = None,
                  interviewers: Sequence[str] = ()) -> Document:
    """Load one file.

    Args:
        path: the file; its suffix chooses the reader.
        kind: overrides kind inference (from the manifest).
        doc_id: defaults to a slug of the file stem.
        metadata: manifest columns, kept as strings.
        title: overrides the title found in the file.
        interviewers: speaker names whose turns are the interviewer's.

    Raises:
        LoaderError: the file is missing, empty, binary, corrupt, of an unsupported type,
            or has no text; ``reason`` says what to do.
    """
    path = Path(path)
    if kind is not None and kind not in DOCUMENT_KINDS:
        raise ValueError(f"kind '{kind}' is not one of {', '.join(DOCUMENT_KINDS)}")
    if not path.is_file():
        raise LoaderError(path, "file not found; check the path")
    reader = reader_for(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoaderError(path, f"cannot be read ({exc.strerror}); check its permissions") from exc
    if not data.strip():
        raise LoaderError(path, "file is empty; add its text or remove it from the inputs")
    extracted = reader.read(path, data)
    if printable(path) != str(path):
        extracted = replace(extracted, warnings=(*extracted.warnings, (
            "the file name is not valid UTF-8 (shown with \\x escapes); rename the file so other tools "
            "can find it by the name in this report")))
    return build_document(extracted, path=path, data=data, doc_id=doc_id or slugify(path.stem),
                          kind=kind, metadata={str(k): str(v) for k, v in (metadata or {}).items()},
                          title=title, interviewers=interviewers)
