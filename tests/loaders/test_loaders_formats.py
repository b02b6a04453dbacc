"""Each format loads into a Document with valid blocks and the right structure."""

from __future__ import annotations

from pathlib import Path

import pytest

from narratives.errors import LoaderError
from narratives.loaders import load_document, supported_suffixes

SENTENCE = "Junior doctors describe long shifts without pay and seniors who never learn their names. "


def _texts(doc, kind=None):
    return [doc.text[b.start:b.end] for b in doc.blocks if kind is None or b.kind == kind]


def test_every_documented_suffix_has_a_reader() -> None:
    for suffix in (".txt", ".md", ".docx", ".odt", ".pdf", ".html", ".htm", ".vtt", ".srt"):
        assert suffix in supported_suffixes()


def test_txt_one_paragraph_per_line_and_hard_wrapped(tmp_path: Path, blocks_valid) -> None:
    path = tmp_path / "notes.txt"
    wrapped = "This paragraph was wrapped by an editor at a fixed width of about\n" \
              "sixty characters so every line is about the same length and\nit ends here."
    path.write_text(f"First paragraph on one line.\nSecond paragraph on one line.\n\n{wrapped}\n",
                    encoding="utf-8")
    doc = load_document(path)
    assert _texts(doc) == ["First paragraph on one line.", "Second paragraph on one line.",
                           " ".join(wrapped.split("\n"))]
    assert doc.sha256 and doc.source == str(path) and doc.doc_id == "notes"
    blocks_valid(doc)


def test_crlf_and_bom_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"\xef\xbb\xbfFirst line here.\r\nSecond line here.\r\n")
    doc = load_document(path)
    assert "\r" not in doc.text and "\ufeff" not in doc.text
    assert _texts(doc) == ["First line here.", "Second line here."]
    assert doc.warnings == ()


def test_cp1252_is_decoded_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes("The doctor said \u201cwe earn \u20ac300\u201d \u2014 caf\u00e9 talk.".encode("cp1252"))
    doc = load_document(path)
    assert "\u201cwe earn \u20ac300\u201d \u2014 caf\u00e9" in doc.text
    assert any("decoded as cp1252, not UTF-8" in w for w in doc.warnings)


def test_text_is_nfc(tmp_path: Path) -> None:
    path = tmp_path / "nfc.txt"
    path.write_text("Cafe\u0301 culture in Ko\u0308ln.", encoding="utf-8")
    assert "Caf\u00e9 culture in K\u00f6ln." in load_document(path).text


def test_markdown_markup_is_stripped(tmp_path: Path, blocks_valid) -> None:
    path = tmp_path / "chapter.md"
    path.write_text(
        "# Why Doctors Leave\n\n"
        "Low pay is a **push factor** and *training* abroad a [pull](https://example.org) factor"
        "<sup>3</sup>.\n![figure](fig.png)\n\n"
        "## Licensing\n\nThe PLAB exam costs money.\n",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert _texts(doc, "heading") == ["Why Doctors Leave", "Licensing"]
    assert "Low pay is a push factor and training abroad a pull factor." in doc.text
    assert "**" not in doc.text and "http" not in doc.text and "fig.png" not in doc.text
    assert doc.title == "Why Doctors Leave"
    blocks_valid(doc)


def test_docx_paragraphs_and_heading_styles(write_docx, blocks_valid) -> None:
    path = write_docx("report.docx", [("Brain Drain in Punjab", "Title"), ("Findings", "Heading 1"),
                                      (SENTENCE, None), ("Second paragraph here.", None)])
    doc = load_document(path)
    assert _texts(doc, "heading") == ["Brain Drain in Punjab", "Findings"]
    assert _texts(doc, "paragraph") == [SENTENCE.strip(), "Second paragraph here."]
    assert doc.title == "Brain Drain in Punjab"
    blocks_valid(doc)


def test_odt_paragraphs_and_headings_in_order(write_odt) -> None:
    path = write_odt("memo.odt", [("Staffing Memo", True), ("Nurses left the ward.", False),
                                  ("Pay Review", True), ("The board met in May.", False)])
    doc = load_document(path)
    assert _texts(doc) == ["Staffing Memo", "Nurses left the ward.", "Pay Review", "The board met in May."]
    assert [b.kind for b in doc.blocks] == ["heading", "paragraph", "heading", "paragraph"]


def test_pdf_joins_pages_and_drops_running_headers(write_pdf, blocks_valid) -> None:
    paragraphs = [f"Section {n} begins. " + SENTENCE * (4 + n % 3) + f"Closing remark {n}." for n in range(14)]
    path = write_pdf("paper.pdf", paragraphs, header="Journal of Migration Studies 12(3)")
    doc = load_document(path)
    assert "Journal of Migration Studies" not in doc.text
    assert len(doc.blocks) == len(paragraphs)
    for block, expected in zip(doc.blocks, paragraphs, strict=True):
        assert doc.text[block.start:block.end] == expected.strip()
    blocks_valid(doc)


def test_pdf_without_text_layer_is_refused(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 50, 50)
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    with pytest.raises(LoaderError, match=r"no text layer \(scanned PDF\?\) — run OCR first"):
        load_document(path)


def test_html_keeps_the_article_not_the_navigation(tmp_path: Path, blocks_valid) -> None:
    body = " ".join([SENTENCE] * 3)
    path = tmp_path / "story.html"
    path.write_text(
        "<html><head><title>Doctors leave | Daily</title>"
        '<meta property="og:title" content="Why doctors leave Pakistan"></head><body>'
        "<nav><a href='/'>Home</a> <a href='/world'>World news section</a></nav>"
        f"<article><h1>Why doctors leave Pakistan</h1><p>{body}</p><h2>Pay and Conditions</h2>"
        f"<p>A house officer earns less than a clerk, one doctor said. {body}</p></article>"
        "<footer>Copyright 2025 The Daily. All rights reserved.</footer></body></html>",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert doc.title == "Why doctors leave Pakistan"
    assert doc.kind == "news"
    assert "A house officer earns less than a clerk" in doc.text
    assert "World news section" not in doc.text and "All rights reserved" not in doc.text
    blocks_valid(doc)


def test_html_fallback_when_extractor_finds_nothing(tmp_path: Path, monkeypatch) -> None:
    import trafilatura

    monkeypatch.setattr(trafilatura, "extract", lambda *args, **kwargs: None)
    path = tmp_path / "tiny.htm"
    path.write_text("<html><head><title>Tiny</title></head><body><nav><p>Menu</p></nav>"
                    "<h2>Staff Shortages</h2><p>Short note.</p><footer><p>Contact</p></footer></body></html>",
                    encoding="utf-8")
    doc = load_document(path)
    assert doc.text == "Staff Shortages\n\nShort note."
    assert [b.kind for b in doc.blocks] == ["heading", "paragraph"]
    assert doc.title == "Tiny"


def test_vtt_voices_are_merged_into_turns(tmp_path: Path) -> None:
    path = tmp_path / "call.vtt"
    path.write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Interviewer>Why did you leave?</v>\n\n"
        "00:00:04.500 --> 00:00:08.000\n<v Dr Khan>The pay was not enough</v>\n\n"
        "00:00:08.000 --> 00:00:11.000\n<v Dr Khan>for school fees.</v>\n\n"
        "00:00:11.500 --> 00:00:13.000\n<v Interviewer>I see.</v>\n",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert doc.kind == "transcript"
    turns = [(b.speaker, b.role, b.timestamp, doc.text[b.start:b.end]) for b in doc.blocks]
    assert turns == [
        ("Interviewer", "interviewer", "00:00:01.000", "Why did you leave?"),
        ("Dr Khan", "participant", "00:00:04.500", "The pay was not enough for school fees."),
        ("Interviewer", "interviewer", "00:00:11.500", "I see."),
    ]
    assert "Dr Khan: The pay" in doc.text


def test_srt_label_prefixes_give_speakers(tmp_path: Path) -> None:
    path = tmp_path / "call.srt"
    path.write_text(
        "1\n00:00:01,000 --> 00:00:03,000\nInterviewer: Where do you work now?\n\n"
        "2\n00:00:03,500 --> 00:00:06,000\nP5: In Riyadh,\n\n"
        "3\n00:00:06,000 --> 00:00:08,000\nin a private hospital.\n",
        encoding="utf-8",
    )
    doc = load_document(path)
    turns = [(b.speaker, b.role, doc.text[b.start:b.end]) for b in doc.blocks]
    assert turns == [("Interviewer", "interviewer", "Where do you work now?"),
                     ("P5", "participant", "In Riyadh, in a private hospital.")]
    assert doc.blocks[1].timestamp == "00:00:03.500"


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("empty.txt", b"", "empty"),
    ("blank.md", b"  \n\n ", "empty"),
    ("binary.txt", bytes(range(256)) * 4, "binary"),
    ("table.xlsx", b"PK\x03\x04 not really", "unsupported file type '.xlsx'"),
    ("broken.docx", b"this is not a zip archive", "not a readable .docx"),
    ("broken.odt", b"this is not a zip archive", "not a readable .odt"),
    ("broken.pdf", b"%PDF-1.4 garbage without objects", "PDF"),
    ("broken.vtt", b"not a caption file at all", "not a valid VTT"),
])
def test_bad_files_raise_loader_error_with_a_reason(tmp_path: Path, name: str, data: bytes,
                                                    reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(LoaderError) as info:
        load_document(path)
    assert reason in info.value.reason
    assert info.value.path == str(path)
