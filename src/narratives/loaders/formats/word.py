"""Word documents (``.docx``) via python-docx.

Body paragraphs and table cells are read in document order; paragraphs styled
``Title`` or ``Heading N`` become heading lines. A table of speaker turns (speaker | text,
optionally a time column) becomes one labelled turn per row. Line breaks inside a paragraph
(Shift+Enter) continue the paragraph. The core-properties title, when set, is the title.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from narratives.errors import LoaderError
from narratives.loaders.base import Extracted, Line
from narratives.loaders.decoding import normalise
from narratives.loaders.turns import TIMESPAN, match_label, span_start


def _paragraph_lines(paragraph: Any) -> Iterator[Line]:
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    heading = style == "Title" or style.startswith("Heading")
    first = True
    for raw in normalise(paragraph.text).split("\n"):
        text = raw.strip()
        if text:
            yield Line(text, new_paragraph=first, heading=heading)
            first = False


def _block_lines(container: Any) -> Iterator[Line]:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for item in container.iter_inner_content():
        if isinstance(item, Paragraph):
            yield from _paragraph_lines(item)
        elif isinstance(item, Table):
            turns = speaker_table([[cell.text for cell in _cells(row)] for row in item.rows])
            if turns is not None:
                yield from turns
                continue
            for row in item.rows:
                for cell in _cells(row):
                    yield from _block_lines(cell)


def _cells(row: Any) -> list[Any]:
    """The row's cells, each merged cell once (python-docx repeats them)."""
    seen: set[int] = set()
    out = []
    for cell in row.cells:
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            out.append(cell)
    return out


_HEADER_WORDS = {"speaker", "name", "who", "person", "text", "transcript", "utterance", "what was said",
                 "time", "timestamp", "start", "time code", "timecode", "timespan", "time span", "content",
                 "id", "#", "no", "no."}
_TIME = re.compile(rf"^\[?\(?{TIMESPAN}\)?\]?$")
"""A time or, as NVivo writes its transcripts' first column, a timespan (``0:00:07.1 - 0:00:14.1``)."""


def speaker_table(rows: list[list[str]]) -> list[Line] | None:
    """A transcript kept as a table, one turn per row (speaker | text, or with a time column),
    as QDA users prepare interviews in Word and NVivo Transcription exports them (``Timespan |
    Content | Speaker``, optionally with a row-number column); ``None`` for any other table.

    The speaker column holds short labels (``P1``, ``Interviewer``, ``Ayesha Malik``) that recur;
    the text column is the longest on average; a header row (``Speaker | Text``) is skipped.
    """
    rows = [[" ".join(normalise(c).split()) for c in row] for row in rows]
    rows = [r for r in rows if any(r)]
    if rows and all(c.lower() in _HEADER_WORDS for c in rows[0] if c):
        rows = rows[1:]
    width = {len(r) for r in rows}
    if len(rows) < 2 or len(width) != 1 or width.pop() not in (2, 3, 4):
        return None
    columns = list(zip(*rows, strict=True))
    numbers = [i for i, col in enumerate(columns) if all(c.isdigit() for c in col)]  # NVivo's row ids
    clock = [i for i, col in enumerate(columns) if i not in numbers and all(_TIME.match(c) for c in col if c)]
    times = [*clock, *numbers]
    labels = [
        i for i, col in enumerate(columns) if i not in times
        and all(c and len(c.split()) <= 4 and match_label(f"{c}: x") is not None for c in col)
        and len(set(col)) < len(col)
    ]
    if not labels:
        return None
    speaker = labels[0]
    rest = [i for i in range(len(columns)) if i != speaker and i not in times]
    if len(rest) != 1:
        return None
    said, when = rest[0], (clock[0] if clock else None)
    return [
        Line(f"{row[speaker]}: {row[said]}", speaker=row[speaker],
             timestamp=span_start(row[when].strip("[]()")) or None if when is not None else None)
        for row in rows if row[said]
    ]


class DocxReader:
    """Reads .docx files (not legacy .doc)."""

    def read(self, path: Path, data: bytes) -> Extracted:
        import docx

        try:
            document = docx.Document(io.BytesIO(data))
            lines = tuple(_block_lines(document))
            title = (document.core_properties.title or "").strip() or None
        except Exception as exc:  # python-docx raises zip, XML and key errors on damaged files
            raise LoaderError(
                path,
                f"is not a readable .docx ({type(exc).__name__}: {exc}); open and re-save it in Word "
                "or LibreOffice, or export it as .txt",
            ) from exc
        return Extracted(lines, title=title)
