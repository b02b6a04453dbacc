"""Word documents (``.docx``) via python-docx.

Body paragraphs and table cells are read in document order; paragraphs styled
``Title`` or ``Heading N`` become heading lines. Line breaks inside a paragraph
(Shift+Enter) continue the paragraph. The core-properties title, when set, is the title.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from narratives.errors import LoaderError
from narratives.loaders.base import Extracted, Line, register_reader
from narratives.loaders.decoding import normalise


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
            for row in item.rows:
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:  # merged cells repeat
                        continue
                    seen.add(id(cell._tc))
                    yield from _block_lines(cell)


@register_reader(".docx")
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
