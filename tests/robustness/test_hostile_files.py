"""Files as researchers' folders really hold them: links out of the folder, odd encodings,
pages nested too deep, text without blank lines, readers that fail. Each is read, or
skipped with its reason; none ends the batch, none is dropped silently."""

from __future__ import annotations

import importlib.metadata
import io
import time
from pathlib import Path

import pytest

from narratives.loaders import load_corpus
from narratives.loaders.base import Extracted
from narratives.loaders.document import load_document
from narratives.loaders.formats import READERS

ANSWER = "P1: The salary was too low to pay the rent, so I left Lahore for a hospital in Leeds.\n"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "p1.txt").write_text(ANSWER)
    return folder


def test_a_link_out_of_the_input_folder_is_skipped_with_its_reason(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    secret = tmp_path / "outside" / "passwords.txt"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:the secret text that must not be analysed:/root:/bin/bash\n")
    (folder / "link.txt").symlink_to(secret)
    (folder / "linked-dir").symlink_to(secret.parent, target_is_directory=True)
    (folder / "inside.txt").symlink_to(folder / "p1.txt")
    (folder / "broken.txt").symlink_to(tmp_path / "gone.txt")

    corpus = load_corpus([folder])
    assert [d.doc_id for d in corpus.documents] == ["p1"]  # the link inside the folder is the same file
    assert all("secret" not in d.text for d in corpus.documents)
    skipped = {Path(s.path).name: s.reason for s in corpus.skipped}
    assert set(skipped) == {"link.txt", "linked-dir", "broken.txt"}
    assert "--follow-links" in skipped["link.txt"] and str(secret) in skipped["link.txt"]
    assert "does not exist" in skipped["broken.txt"]

    followed = load_corpus([folder], follow_links=True)
    assert any("secret" in d.text for d in followed.documents)


@pytest.mark.parametrize("follow_links", [False, True])
def test_link_loops_are_skipped_with_their_reason(tmp_path: Path, follow_links: bool) -> None:
    folder = _folder(tmp_path)
    (folder / "self.txt").symlink_to("self.txt")
    (folder / "a.txt").symlink_to("b.txt")
    (folder / "b.txt").symlink_to("a.txt")
    (folder / "here").symlink_to(".", target_is_directory=True)  # a folder loop
    corpus = load_corpus([folder], follow_links=follow_links)
    assert [d.doc_id for d in corpus.documents] == ["p1"]
    skipped = {Path(s.path).name: s.reason for s in corpus.skipped}
    assert set(skipped) == {"self.txt", "a.txt", "b.txt"}
    assert all("link loop" in reason for reason in skipped.values())


def test_a_link_loop_named_as_the_input_is_a_clear_error(tmp_path: Path) -> None:
    from narratives.errors import InputError

    (tmp_path / "self.txt").symlink_to("self.txt")
    with pytest.raises(InputError, match=r"self\.txt: a link that leads back to itself"):
        load_corpus([tmp_path / "self.txt"])


def test_a_folder_that_cannot_be_opened_is_listed_not_dropped() -> None:
    """A real refusal by the system: the folder is closed to others, and the corpus is loaded as another
    user (``nobody``, when the tests run as root, as in CI) or as this one (when they do not)."""
    import os
    import shutil
    import subprocess
    import sys
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="narratives-locked-"))  # pytest's tmp_path is closed to other users
    try:
        os.chmod(base, 0o755)
        folder = _folder(base)
        os.chmod(folder, 0o755)
        locked = folder / "locked"
        locked.mkdir()
        (locked / "p2.txt").write_text(ANSWER.replace("P1", "P2"))
        os.chmod(locked, 0o700 if os.geteuid() == 0 else 0o000)
        probe = ("from narratives.loaders import load_corpus\n"
                 f"c = load_corpus([{str(folder)!r}])\n"
                 "print([d.doc_id for d in c.documents]); print([(s.path, s.reason) for s in c.skipped])\n")
        if os.geteuid() == 0:
            if shutil.which("setpriv") is None:
                pytest.skip("running as root without setpriv: no user the folder can be closed to")
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", probe]
        else:
            command = [sys.executable, "-c", probe]
        done = subprocess.run(command, capture_output=True, text=True, cwd=base, env={**os.environ, "HOME": str(base)})
        assert done.returncode == 0, done.stderr
        documents, skipped = done.stdout.splitlines()
        assert documents == "['p1']"
        assert str(locked) in skipped and "cannot be opened" in skipped and "Permission denied" in skipped
    finally:
        os.chmod(base / "corpus" / "locked", 0o700)
        shutil.rmtree(base, ignore_errors=True)


def test_utf16_without_a_mark_and_a_stray_nul_byte_are_read_with_a_warning(tmp_path: Path) -> None:
    utf16 = tmp_path / "teams-export.txt"
    utf16.write_bytes(ANSWER.encode("utf-16-le"))
    document = load_document(utf16)
    assert "salary was too low" in document.text
    assert any("UTF-16-LE" in w for w in document.warnings)

    nul = tmp_path / "nul.txt"
    nul.write_bytes(ANSWER.encode().replace(b"rent", b"re\x00nt"))
    document = load_document(nul)
    assert "rent" in document.text
    assert any("NUL" in w for w in document.warnings)


def test_a_page_nested_deeper_than_lxml_reads_keeps_its_text(tmp_path: Path) -> None:
    for depth in (300, 5000):
        page = tmp_path / f"deep-{depth}.html"
        page.write_text("<html><body>" + "<div>" * depth + "<p>The salary was too low, so I left.</p>"
                        + "</div>" * depth + "</body></html>")
        assert "The salary was too low" in load_document(page).text


def test_hard_wrapped_text_without_blank_lines_loads_in_linear_time(tmp_path: Path) -> None:
    line = "the salary was not enough to pay the rent so i left for the uk where training is"
    big = tmp_path / "wrapped.txt"
    big.write_text("\n".join([line] * 40_000))  # 3.3 MB, one paragraph of 40,000 lines
    started = time.perf_counter()
    document = load_document(big)
    assert time.perf_counter() - started < 30  # was quadratic: hours for a file this size
    assert len(document.text) == len(line) * 40_000 + 39_999


def test_a_paragraph_longer_than_spacy_accepts_is_cut_into_sentences(tmp_path: Path) -> None:
    from narratives.config import SegmentConfig
    from narratives.models import Block, Document
    from narratives.segment.spacy_segmenter import SpacySegmenter

    text = " ".join(["The rota was eighty hours a week and nobody was paid for the extra nights."] * 80_000)
    assert len(text) > 5_000_000
    document = Document(doc_id="d", text=text, kind="other", title="t", source="s",
                        blocks=(Block(0, len(text), "paragraph"),), metadata={}, sha256="")
    segments = SpacySegmenter(SegmentConfig()).segment(document)
    assert len(segments) == 80_000
    assert all(s.text == text[s.start:s.end] for s in segments[:100])


class _BrokenLibrary:
    """A reader whose library fails in a way it did not foresee (as lxml.html.clean's
    ImportError did): the file must be skipped with the reason, the batch go on."""

    def read(self, path: Path, data: bytes) -> Extracted:
        raise ImportError("lxml.html.clean module is now a separate project lxml_html_clean")


def test_a_reader_that_fails_skips_its_file_not_the_batch(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "page.boom").write_text("<p>whatever</p>")
    READERS.register(".boom")(_BrokenLibrary)
    try:
        corpus = load_corpus([folder])
    finally:
        READERS._factories.pop(".boom")
    assert [d.doc_id for d in corpus.documents] == ["p1"]
    (skipped,) = corpus.skipped
    assert skipped.path.endswith("page.boom") and "lxml_html_clean" in skipped.reason


def test_html_and_aes_pdf_dependencies_are_declared_and_work(tmp_path: Path) -> None:
    import lxml.html.clean  # noqa: F401  (the import that failed in a plain pip install)
    from pypdf import PdfWriter

    required = " ".join(importlib.metadata.requires("narratives") or [])
    assert "lxml_html_clean" in required and "cryptography" in required

    page = tmp_path / "editorial.html"
    page.write_text("<html><head><title>Brain drain</title></head><body><article><p>Doctors leave because "
                    "the salary does not cover rent.</p></article></body></html>")
    assert "salary" in load_document(page).text

    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 10, "Doctors leave Pakistan because the salary does not cover the rent.")
    writer = PdfWriter(clone_from=io.BytesIO(bytes(pdf.output())))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-256")
    encrypted = tmp_path / "aes.pdf"
    with encrypted.open("wb") as fh:
        writer.write(fh)
    assert "salary does not cover" in load_document(encrypted).text


@pytest.mark.parametrize("option", [["--sample", "-3"], ["--sample", "0"]])
def test_export_refuses_a_sample_below_one(tmp_path: Path, option: list[str]) -> None:
    from typer.testing import CliRunner

    from narratives.cli import app

    result = CliRunner().invoke(app, ["export", str(tmp_path), "--to", "csv", "--out", str(tmp_path / "x"), *option])
    assert result.exit_code == 2
    assert "--sample" in result.output and "Traceback" not in result.output


def test_a_file_name_that_is_not_utf8_is_read_and_shown_with_escapes(tmp_path: Path) -> None:
    import json
    import os

    folder = _folder(tmp_path)
    with open(os.fsencode(folder) + b"/caf\xe9-p2.txt", "wb") as fh:  # a Latin-1 name from an old Windows share
        fh.write(b"P2: My mother still asks when I will come home, and I cannot answer her.\n")
    with open(os.fsencode(folder) + b"/caf\xe9-broken.docx", "wb") as fh:
        fh.write(b"not a zip")
    corpus = load_corpus([folder])
    named = next(d for d in corpus.documents if "mother" in d.text)
    assert named.source.endswith("caf\\xe9-p2.txt") and named.title == "caf\\xe9-p2"
    assert any("not valid UTF-8" in w for w in named.warnings)
    (skipped,) = corpus.skipped
    assert skipped.path.endswith("caf\\xe9-broken.docx")
    json.dumps([named.source, named.title, skipped.path, skipped.reason], ensure_ascii=False).encode("utf-8")
