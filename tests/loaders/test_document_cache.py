"""A re-run takes loaded documents from the cache, exactly as loading would give them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from narratives.loaders import load_corpus

TRANSCRIPT = "Interviewer: Why did you leave?\nP1: The salary in Lahore did not cover rent for my family.\n"
EDITORIAL = "Doctors are leaving.\n\nThe health ministry has no plan to keep them, and every month more go.\n"


def _corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "p1.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (folder / "editorial.txt").write_text(EDITORIAL, encoding="utf-8")
    return folder


def _manifest(path: Path, country: str) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "doc_id", "country"])
        writer.writerow(["p1.txt", "P1", country])
    return path


def test_second_load_is_from_the_cache_and_equal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, cache = _corpus(tmp_path), tmp_path / "cache"
    parsed = load_corpus([folder])
    first = load_corpus([folder], cache_dir=cache)
    assert first.documents == parsed.documents
    assert len(list((cache / "documents").glob("*.json"))) == 2

    def parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached file was parsed again")

    monkeypatch.setattr("narratives.loaders.corpus.load_document", parse)
    again = load_corpus([folder], cache_dir=cache)
    assert again.documents == parsed.documents
    assert not again.warnings


def test_a_changed_file_is_parsed_again(tmp_path: Path) -> None:
    folder, cache = _corpus(tmp_path), tmp_path / "cache"
    load_corpus([folder], cache_dir=cache)
    (folder / "editorial.txt").write_text(EDITORIAL.replace("every month", "every week"), encoding="utf-8")
    again = load_corpus([folder], cache_dir=cache)
    editorial = next(d for d in again.documents if d.doc_id == "editorial")
    assert "every week" in editorial.text
    assert len(list((cache / "documents").glob("*.json"))) == 3


def test_manifest_id_and_metadata_apply_to_cached_documents(tmp_path: Path) -> None:
    folder, cache = _corpus(tmp_path), tmp_path / "cache"
    load_corpus([folder], manifest=_manifest(folder / "m1.csv", "Pakistan"), cache_dir=cache)
    again = load_corpus([folder], manifest=_manifest(folder / "m2.csv", "UK"), cache_dir=cache)
    p1 = next(d for d in again.documents if d.doc_id == "P1")
    assert p1.metadata == {"country": "UK"}
    assert p1.kind == "transcript" and p1.blocks[-1].speaker == "P1"
    assert len(list((cache / "documents").glob("*.json"))) == 2  # metadata does not change how a file parses


def test_a_damaged_entry_is_a_miss_with_a_note(tmp_path: Path) -> None:
    folder, cache = _corpus(tmp_path), tmp_path / "cache"
    parsed = load_corpus([folder], cache_dir=cache)
    for entry in (cache / "documents").glob("*.json"):
        entry.write_bytes(b"not a zip file")
    again = load_corpus([folder], cache_dir=cache)
    assert again.documents == parsed.documents
    assert sum("document cache entry" in w and "damaged" in w for w in again.warnings) == 2


def test_an_unreadable_file_is_skipped_not_cached(tmp_path: Path) -> None:
    folder, cache = _corpus(tmp_path), tmp_path / "cache"
    (folder / "empty.txt").write_text("   \n", encoding="utf-8")
    corpus = load_corpus([folder], cache_dir=cache)
    assert [s.path.endswith("empty.txt") for s in corpus.skipped] == [True]
    assert len(list((cache / "documents").glob("*.json"))) == 2
    (folder / "empty.txt").write_text(EDITORIAL, encoding="utf-8")
    fixed = load_corpus([folder], cache_dir=cache)
    assert not fixed.skipped and len(fixed.documents) == 3
