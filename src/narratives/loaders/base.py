"""What a format reader returns, and the reader interface (the readers: :mod:`narratives.loaders.formats`).

A reader turns the raw bytes of one file into :class:`Extracted`: a flat list of
:class:`Line` records that keep the paragraph and heading structure the format knows
about. Everything after that (speaker turns, cleaning, kinds, offsets) is format-blind
and lives in the sibling modules, so a new format only needs a reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from narratives.models import DocumentKind


@dataclass(frozen=True, slots=True)
class Line:
    """One line of extracted text.

    ``new_paragraph`` is true when a paragraph boundary precedes the line (a blank line
    in a text file, a new ``<w:p>`` in a .docx); lines without it continue the previous
    paragraph. ``speaker`` and ``timestamp`` are set by readers that know them from the
    format itself (caption cue voices); ``text`` then starts with ``"{speaker}: "``.
    """

    text: str
    new_paragraph: bool = True
    heading: bool = False
    speaker: str | None = None
    timestamp: str | None = None


@dataclass(frozen=True, slots=True)
class Extracted:
    """The text of one file as a reader sees it, before cleaning.

    ``soft_wrapped`` means lines inside a paragraph are layout wraps to be joined with a
    space (Markdown, PDF); ``dehyphenate`` additionally rejoins ``develop-`` / ``ment``
    (PDF). ``hint`` is a kind the format implies (captions are transcripts, web pages
    news) and is used when neither the manifest nor the text says otherwise.
    """

    lines: tuple[Line, ...]
    title: str | None = None
    warnings: tuple[str, ...] = ()
    soft_wrapped: bool = False
    dehyphenate: bool = False
    hint: DocumentKind | None = None


class FormatReader(Protocol):
    """Reads one file format. Raises :class:`LoaderError` when the file is unusable."""

    def read(self, path: Path, data: bytes) -> Extracted: ...
