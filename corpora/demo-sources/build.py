#!/usr/bin/env python
"""Rebuild the binary documents of the FICTIONAL narratives demo corpus.

Usage (from the repository root):

    .venv/bin/python corpora/demo-sources/build.py

Reads the reviewable plain-text sources in corpora/demo-sources/*.source and
writes:

    interviews/p10-geriatric-medicine-uk.docx      (python-docx)
    interviews/p11-neurosurgery-uae.odt            (odfpy)
    papers/compensation-restitution-circulation.pdf (fpdf2)

The output is deterministic: document metadata carries a fixed date, and the
ZIP containers of .docx/.odt are rewritten with fixed timestamps and a stable
member order, so rebuilding produces byte-identical files.

Everything in this corpus is fictional, written by the narratives team for
demonstration and testing.
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

SOURCES = Path(__file__).resolve().parent
HERE = SOURCES.parent / "demo"

FIXED = dt.datetime(2026, 1, 15, 12, 0, 0, tzinfo=dt.timezone.utc)
ZIP_DT = (2026, 1, 15, 12, 0, 0)
AUTHOR = "narratives team (fictional demo corpus)"

SPEAKER = re.compile(r"^([A-Z][A-Za-z0-9 .']{0,30}):\s+(.*)$")


def read_source(name: str) -> list[str]:
    text = (SOURCES / name).read_text(encoding="utf-8")
    return [ln.rstrip() for ln in text.splitlines() if ln.strip()]


def normalize_zip(path: Path) -> None:
    """Rewrite a ZIP container with fixed timestamps, keeping member order."""
    with zipfile.ZipFile(path) as zin:
        members = [(info, zin.read(info.filename)) for info in zin.infolist()]
    tmp = path.with_suffix(path.suffix + ".tmp")
    with zipfile.ZipFile(tmp, "w") as zout:
        for info, data in members:
            new = zipfile.ZipInfo(info.filename, date_time=ZIP_DT)
            new.compress_type = info.compress_type
            new.external_attr = 0o644 << 16
            new.create_system = 3
            zout.writestr(new, data)
    tmp.replace(path)


# --------------------------------------------------------------------- docx
def build_docx(source: str, out: Path, title: str) -> None:
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    lines = read_source(source)
    for i, line in enumerate(lines):
        if line.startswith("# "):
            doc.add_heading(line[2:], level=1)
            continue
        para = doc.add_paragraph()
        m = SPEAKER.match(line)
        if i == 0:
            run = para.add_run(line)
            run.italic = True
            run.font.size = Pt(9)
        elif m:
            label = para.add_run(m.group(1) + ":")
            label.bold = True
            para.add_run(" " + m.group(2))
        else:
            para.add_run(line)
    cp = doc.core_properties
    cp.author = AUTHOR
    cp.last_modified_by = AUTHOR
    cp.title = title
    cp.subject = "FICTIONAL demo interview transcript"
    cp.comments = "Fictional; written by the narratives team for demonstration and testing."
    cp.keywords = "fictional; demo; physician migration; Pakistan"
    cp.created = FIXED.replace(tzinfo=None)
    cp.modified = FIXED.replace(tzinfo=None)
    cp.last_printed = FIXED.replace(tzinfo=None)
    cp.revision = 1
    doc.save(str(out))
    normalize_zip(out)


# ---------------------------------------------------------------------- odt
def build_odt(source: str, out: Path, title: str) -> None:
    from odf import dc, meta
    from odf.opendocument import OpenDocumentText
    from odf.style import ParagraphProperties, Style, TextProperties
    from odf.text import H, P, Span

    doc = OpenDocumentText()
    bold = Style(name="SpeakerLabel", family="text")
    bold.addElement(TextProperties(fontweight="bold"))
    note = Style(name="Marker", family="paragraph")
    note.addElement(TextProperties(fontstyle="italic", fontsize="9pt"))
    body = Style(name="Turn", family="paragraph")
    body.addElement(ParagraphProperties(marginbottom="0.2cm"))
    head = Style(name="Heading_20_1", displayname="Heading 1", family="paragraph")
    head.addElement(TextProperties(fontweight="bold", fontsize="16pt"))
    for st in (bold, note, body, head):
        doc.styles.addElement(st)

    for i, line in enumerate(read_source(source)):
        if line.startswith("# "):
            doc.text.addElement(H(outlinelevel=1, stylename=head, text=line[2:]))
            continue
        m = SPEAKER.match(line)
        if i == 0:
            doc.text.addElement(P(stylename=note, text=line))
        elif m:
            p = P(stylename=body)
            p.addElement(Span(stylename=bold, text=m.group(1) + ":"))
            p.addText(" " + m.group(2))
            doc.text.addElement(p)
        else:
            doc.text.addElement(P(stylename=body, text=line))

    stamp = FIXED.strftime("%Y-%m-%dT%H:%M:%S")
    doc.meta.addElement(dc.Title(text=title))
    doc.meta.addElement(dc.Creator(text=AUTHOR))
    doc.meta.addElement(dc.Description(text="Fictional; written by the narratives team for demonstration and testing."))
    doc.meta.addElement(dc.Date(text=stamp))
    doc.meta.addElement(meta.CreationDate(text=stamp))
    doc.meta.addElement(meta.InitialCreator(text=AUTHOR))
    doc.save(str(out))
    normalize_zip(out)


# ---------------------------------------------------------------------- pdf
_LATIN1 = str.maketrans({"\u2014": "-", "\u2013": "-", "\u2018": "'", "\u2019": "'",
                         "\u201c": '"', "\u201d": '"', "\u2026": "...", "\u00a0": " "})


def _l1(s: str) -> str:
    return s.translate(_LATIN1)


def build_pdf(source: str, out: Path) -> None:
    from fpdf import FPDF

    fields: dict[str, list[str]] = {}
    blocks: list[tuple[str, str]] = []  # (kind, text)
    for line in read_source(source):
        m = re.match(r"^(NOTE|TITLE|AUTHORS|AFFIL|CONTACT|SERIES|ABSTRACT|KEYWORDS):\s*(.*)$", line)
        if m:
            fields.setdefault(m.group(1), []).append(_l1(m.group(2)))
        elif line.startswith("## "):
            blocks.append(("h", _l1(line[3:])))
        else:
            blocks.append(("p", _l1(line)))
    title = fields["TITLE"][0]
    running = "Compensation, restitution or circulation? (FICTIONAL working paper)"

    class Paper(FPDF):
        def header(self):
            if self.page_no() > 1:
                self.set_font("Helvetica", "I", 8)
                self.set_text_color(110)
                self.cell(0, 5, running, align="R", new_x="LMARGIN", new_y="NEXT")
                self.ln(3)
                self.set_text_color(0)

        def footer(self):
            self.set_y(-14)
            self.set_font("Helvetica", "", 8)
            self.set_text_color(110)
            self.cell(0, 5, "FICTIONAL DEMO PAPER - narratives demo corpus", align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")
            self.set_text_color(0)

    pdf = Paper(format="A4")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_creation_date(FIXED)
    pdf.set_title(title)
    pdf.set_author("Zainab Qureshi; Imran Latif; Clare Donnelly (fictional)")
    pdf.set_subject("FICTIONAL demo working paper for the narratives toolkit")
    pdf.set_keywords(fields.get("KEYWORDS", [""])[0])
    pdf.set_creator("narratives corpora/demo-sources/build.py")
    pdf.set_lang("en")
    pdf.add_page()

    pdf.set_font("Helvetica", "I", 8)
    pdf.set_text_color(150, 0, 0)
    pdf.multi_cell(0, 4, fields["NOTE"][0], new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(0, 4, fields["SERIES"][0], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(0, 7, title, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(0, 6, fields["AUTHORS"][0], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "I", 9)
    for aff in fields["AFFIL"]:
        pdf.multi_cell(0, 4.5, aff, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 4.5, fields["CONTACT"][0], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 6, "Abstract", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9.5)
    pdf.multi_cell(0, 4.8, fields["ABSTRACT"][0], align="J", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font("Helvetica", "I", 9)
    pdf.multi_cell(0, 4.8, "Keywords: " + fields["KEYWORDS"][0], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    in_refs = False
    for kind, text in blocks:
        if kind == "h":
            in_refs = text.lower().startswith("references")
            pdf.ln(2)
            pdf.set_font("Helvetica", "B", 11.5)
            pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif in_refs:
            pdf.set_font("Helvetica", "", 9)
            pdf.multi_cell(0, 4.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.2)
        else:
            pdf.set_font("Helvetica", "", 10)
            pdf.multi_cell(0, 5.0, text, align="J", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    pdf.output(str(out))


def main() -> None:
    build_docx("p10-geriatric-medicine-uk.source",
               HERE / "interviews" / "p10-geriatric-medicine-uk.docx",
               "FICTIONAL demo interview transcript - P10")
    build_odt("p11-neurosurgery-uae.source",
              HERE / "interviews" / "p11-neurosurgery-uae.odt",
              "FICTIONAL demo interview transcript - P11")
    build_pdf("compensation-restitution-circulation.source",
              HERE / "papers" / "compensation-restitution-circulation.pdf")
    for p in ("interviews/p10-geriatric-medicine-uk.docx", "interviews/p11-neurosurgery-uae.odt",
              "papers/compensation-restitution-circulation.pdf"):
        print("wrote", p)


if __name__ == "__main__":
    main()
