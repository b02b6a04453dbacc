"""One bad file never sinks a batch; bad settings stop the run before any work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from narratives.cli import app

pytestmark = pytest.mark.slow

def _corpus(folder: Path, interview: str) -> Path:
    folder.mkdir()
    (folder / "good.txt").write_text(interview, encoding="utf-8")
    (folder / "windows.txt").write_bytes("P3: The café rota meant 80 hours – every week.\n\nI: Why?\n\n"
                                         "P3: Nobody was promoted without sifarish.\n".encode("cp1252"))
    (folder / "empty.txt").write_text("")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "broken.docx").write_bytes(b"this is not a zip file")
    (folder / "slides.pptx").write_bytes(b"PK\x03\x04")
    return folder


def test_bad_files_are_skipped_with_reasons(tmp_path: Path, cache_dir: Path, repo_dir: Path,
                                            interview_text: str) -> None:
    # A path longer than the 80-column terminal: the skipped file's name must still print unbroken.
    corpus = _corpus(tmp_path / ("a-long-folder-name-" * 5 + "corpus"), interview_text)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "run", str(corpus), "--codebook", str(repo_dir / "configs/codebooks/physician-migration.yaml"),
        "--out", str(out), "--set", f"cache={cache_dir}",
    ])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "run_manifest.json").read_text())
    skipped = {Path(s["path"]).name: s["reason"] for s in manifest["skipped_files"]}
    assert set(skipped) == {"empty.txt", "binary.txt", "broken.docx", "slides.pptx"}
    assert all(reason for reason in skipped.values())
    assert {d["doc_id"] for d in manifest["documents"]} == {"good", "windows"}
    assert any("cp1252" in w for w in manifest["warnings"])
    # a file's warning names the file, in the summary and in the manifest
    assert any(w.startswith(f"{corpus / 'windows.txt'}: ") and "cp1252" in w for w in manifest["warnings"])
    assert f"warning: {corpus / 'windows.txt'}: " in result.output
    for name in ("empty.txt", "broken.docx"):
        assert str(corpus / name) in result.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--set", "align.treshold=0.3"], "did you mean 'threshold'"),
        (["--set", "seed=abc"], "seed"),
        (["--by", "contry"], "contry"),
    ],
)
def test_bad_settings_stop_before_writing(tmp_path: Path, cache_dir: Path, repo_dir: Path, interview_text: str,
                                          extra: list[str], message: str) -> None:
    corpus = _corpus(tmp_path / "corpus", interview_text)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "run", str(corpus), "--codebook", str(repo_dir / "configs/codebooks/physician-migration.yaml"),
        "--out", str(out), "--set", f"cache={cache_dir}", *extra,
    ])
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()


def test_bad_codebook_stops_before_loading(tmp_path: Path, interview_text: str) -> None:
    book = tmp_path / "book.yaml"
    book.write_text("name: x\nthemes:\n  - id: pay\n    label: Pay\n")
    corpus = _corpus(tmp_path / "corpus", interview_text)
    result = CliRunner().invoke(app, ["run", str(corpus), "--codebook", str(book), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "book.yaml" in result.output and "pay" in result.output and "definition" in result.output


def test_run_refuses_to_write_over_its_own_inputs(tmp_path: Path, repo_dir: Path, interview_text: str) -> None:
    """`run DIR --out DIR --force` once deleted the transcripts; now it stops before reading anything."""
    corpus = _corpus(tmp_path / "interviews", interview_text)
    files = {p.name: p.read_bytes() for p in corpus.iterdir()}
    codebook = str(repo_dir / "configs" / "codebooks" / "physician-migration.yaml")
    for out in (corpus, corpus / "results", tmp_path):
        result = CliRunner().invoke(app, ["run", str(corpus), "--codebook", codebook, "--out", str(out), "--force"])
        assert result.exit_code == 2, result.output
        assert "outside your inputs" in " ".join(result.output.split())
    assert {p.name: p.read_bytes() for p in corpus.iterdir()} == files  # every input as it was


def test_force_never_replaces_a_folder_that_is_not_a_run(tmp_path: Path, repo_dir: Path,
                                                         interview_text: str) -> None:
    corpus = _corpus(tmp_path / "interviews", interview_text)
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "chapter-3.docx").write_text("two years of work", encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(corpus), "--codebook",
                                      str(repo_dir / "configs" / "codebooks" / "physician-migration.yaml"),
                                      "--out", str(thesis), "--force"])
    assert result.exit_code == 2 and "not the results of an earlier run" in " ".join(result.output.split())
    assert (thesis / "chapter-3.docx").read_text(encoding="utf-8") == "two years of work"
