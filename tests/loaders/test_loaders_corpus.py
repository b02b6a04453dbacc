"""load_corpus: discovery, stable ids, manifests, and bad files that never sink a batch."""

from __future__ import annotations

from pathlib import Path

import pytest

from narratives.errors import InputError, ManifestError
from narratives.loaders import load_corpus, read_manifest

TRANSCRIPT = "Interviewer: Why did you leave?\nP1: The pay.\nInterviewer: And now?\nP1: Better.\n"


def _corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "interviews").mkdir(parents=True)
    (root / "interviews" / "P1 Interview.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (root / "interviews" / "p1-interview.md").write_text(TRANSCRIPT, encoding="utf-8")
    (root / "editorial.txt").write_text("Doctors are leaving the country in large numbers.\n",
                                        encoding="utf-8")
    (root / "README.md").write_text("About this corpus.\n", encoding="utf-8")
    (root / ".hidden.txt").write_text("secret\n", encoding="utf-8")
    return root


def test_folder_order_ids_and_skipped_names(tmp_path: Path) -> None:
    corpus = load_corpus([_corpus(tmp_path)])
    assert [d.doc_id for d in corpus.documents] == ["editorial", "p1-interview", "p1-interview-2"]
    assert [Path(d.source).name for d in corpus.documents] == ["editorial.txt", "P1 Interview.txt",
                                                               "p1-interview.md"]
    assert corpus.skipped == ()
    again = load_corpus([_corpus(tmp_path / "again")])
    assert [d.doc_id for d in again.documents] == [d.doc_id for d in corpus.documents]


def test_missing_input_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nowhere"):
        load_corpus([tmp_path / "nowhere"])


def test_bad_files_are_skipped_and_the_rest_loads(tmp_path: Path) -> None:
    root = _corpus(tmp_path)
    (root / "empty.txt").write_bytes(b"")
    (root / "photo.txt").write_bytes(bytes(range(256)) * 8)
    (root / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    (root / "broken.docx").write_bytes(b"not a zip")
    corpus = load_corpus([root])
    assert len(corpus.documents) == 3
    reasons = {Path(s.path).name: s.reason for s in corpus.skipped}
    assert set(reasons) == {"empty.txt", "photo.txt", "sheet.xlsx", "broken.docx"}
    assert "empty" in reasons["empty.txt"] and "binary" in reasons["photo.txt"]
    assert "unsupported file type '.xlsx'" in reasons["sheet.xlsx"]
    assert "re-save" in reasons["broken.docx"]


def test_manifest_joins_metadata_kind_title_and_interviewer(tmp_path: Path) -> None:
    root = _corpus(tmp_path)
    (root / "manifest.csv").write_text(
        "file,doc_id,kind,title,interviewer,gender,specialty,country,years_abroad\n"
        "interviews/P1 Interview.txt,P01,,Interview one,Interviewer,female,surgery,UK,6\n"
        "editorial.txt,,news,,,,,,\n",
        encoding="utf-8",
    )
    corpus = load_corpus([root], manifest=root / "manifest.csv")
    by_name = {Path(d.source).name: d for d in corpus.documents}
    p1 = by_name["P1 Interview.txt"]
    assert p1.doc_id == "P01" and p1.title == "Interview one" and p1.kind == "transcript"
    assert dict(p1.metadata) == {"gender": "female", "specialty": "surgery", "country": "UK",
                                 "years_abroad": "6"}
    assert by_name["editorial.txt"].kind == "news" and dict(by_name["editorial.txt"].metadata) == {}
    assert by_name["p1-interview.md"].metadata == {}  # not in the manifest: still loaded
    assert len(corpus.documents) == 3  # the manifest itself is not a document


def test_yaml_manifest(tmp_path: Path) -> None:
    root = _corpus(tmp_path)
    (root / "manifest.yaml").write_text(
        "documents:\n  - file: editorial.txt\n    kind: news\n    outlet: National Herald\n"
        "    date: 2026-01-05\n", encoding="utf-8")
    [entry] = read_manifest(root / "manifest.yaml")
    assert entry.kind == "news" and dict(entry.metadata) == {"outlet": "National Herald",
                                                             "date": "2026-01-05"}


def test_explicit_files_ignore_other_manifest_rows(tmp_path: Path) -> None:
    root = _corpus(tmp_path)
    (root / "manifest.csv").write_text("file,kind\neditorial.txt,news\ninterviews/p1-interview.md,\n",
                                       encoding="utf-8")
    corpus = load_corpus([root / "editorial.txt"], manifest=root / "manifest.csv")
    assert [d.kind for d in corpus.documents] == ["news"]
    assert any("row 3" in w and "ignored" in w for w in corpus.warnings)


@pytest.mark.parametrize(("rows", "message"), [
    ("file\nmissing.txt\n", r"row 2: file 'missing.txt' not found"),
    ("file\neditorial.txt\neditorial.txt\n", r"row 3: file 'editorial.txt' is already listed in row 2"),
    ("file,doc_id\neditorial.txt,a\ninterviews/p1-interview.md,a\n", r"row 3: doc_id 'a' is already used"),
    ("file,kind\neditorial.txt,blog\n", r"row 2: kind 'blog' is not valid; use one of transcript, news, "
                                        r"paper, other"),
    ("name\neditorial.txt\n", r"no 'file' column"),
])
def test_manifest_errors_name_the_row(tmp_path: Path, rows: str, message: str) -> None:
    root = _corpus(tmp_path)
    manifest = root / "manifest.csv"
    manifest.write_text(rows, encoding="utf-8")
    with pytest.raises(ManifestError, match=message) as info:
        load_corpus([root], manifest=manifest)
    assert str(manifest) in str(info.value)
