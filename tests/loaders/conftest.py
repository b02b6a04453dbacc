"""Builders that write small documents of every format into ``tmp_path``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from narratives.models import Document


def _assert_blocks_valid(doc: Document) -> None:
    previous_end = 0
    for block in doc.blocks:
        assert previous_end <= block.start < block.end <= len(doc.text)
        span = doc.text[block.start:block.end]
        assert span == span.strip() and span
        previous_end = block.end


@pytest.fixture
def blocks_valid() -> Callable[[Document], None]:
    """Asserts blocks are ordered, non-overlapping and trimmed, with offsets into the text."""
    return _assert_blocks_valid


@pytest.fixture
def write_docx(tmp_path: Path) -> Callable[..., Path]:
    def write(name: str, paragraphs: Sequence[tuple[str, str | None]]) -> Path:
        import docx

        document = docx.Document()
        for text, style in paragraphs:
            document.add_paragraph(text, style=style)
        path = tmp_path / name
        document.save(str(path))
        return path

    return write


@pytest.fixture
def write_odt(tmp_path: Path) -> Callable[..., Path]:
    def write(name: str, paragraphs: Sequence[tuple[str, bool]]) -> Path:
        from odf.opendocument import OpenDocumentText
        from odf.text import H, P

        document = OpenDocumentText()
        for text, heading in paragraphs:
            document.text.addElement(H(outlinelevel=1, text=text) if heading else P(text=text))
        path = tmp_path / name
        document.save(str(path))
        return path

    return write


@pytest.fixture
def write_pdf(tmp_path: Path) -> Callable[..., Path]:
    def write(name: str, paragraphs: Sequence[str], *, header: str | None = None) -> Path:
        from fpdf import FPDF

        class _Pdf(FPDF):
            def header(self) -> None:
                if header:
                    self.set_font("Helvetica", size=9)
                    self.cell(0, 8, header, new_x="LMARGIN", new_y="NEXT")

            def footer(self) -> None:
                self.set_y(-15)
                self.set_font("Helvetica", size=9)
                self.cell(0, 8, str(self.page_no()), align="C")

        pdf = _Pdf()
        pdf.set_auto_page_break(True, margin=20)
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        for text in paragraphs:
            pdf.multi_cell(0, 6, text)
            pdf.ln(4)
        path = tmp_path / name
        pdf.output(str(path))
        return path

    return write
