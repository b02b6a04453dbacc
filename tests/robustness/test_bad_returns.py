"""Files that come back from coders and collaborators damaged: a spreadsheet whose sheet is
broken, an empty gold file. A clear message and exit 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from narratives.cli import app


def _sheet(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Quotes"
    ws.append(["unit_id", "quote", "proposed_code", "decision", "recode_to", "comment"])
    ws.append(["u1", "The salary was too low.", "economic-disenfranchisement", "accept", "", ""])
    wb.save(path)
    return path


def _break_sheet(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts["xl/worksheets/sheet1.xml"] = b"<worksheet><sheetData><row r='1'><c r='A1' t='s'><v>7"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_a_returned_spreadsheet_with_a_broken_sheet_is_refused(tmp_path: Path, repo_dir: Path) -> None:
    sheet = _sheet(tmp_path / "decisions-amna.xlsx")
    _break_sheet(sheet)
    result = CliRunner().invoke(app, [
        "agreement", str(sheet), "--codebook", str(repo_dir / "configs/codebooks/physician-migration.yaml"),
    ])
    assert result.exit_code == 2, result.output
    assert str(sheet) in result.output and "save it again" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("content", ["", "text,code\n", "text,code\n,\n"], ids=["no-bytes", "header", "blank-row"])
def test_evaluate_on_an_empty_gold_file_says_so(tmp_path: Path, repo_dir: Path, content: str) -> None:
    gold = tmp_path / "gold.csv"
    gold.write_text(content)
    result = CliRunner().invoke(app, [
        "evaluate", str(gold), "--codebook", str(repo_dir / "configs/codebooks/physician-migration.yaml"),
        "--out", str(tmp_path / "eval"),
    ])
    assert result.exit_code == 2, result.output
    assert str(gold) in result.output and "Traceback" not in result.output
    assert not (tmp_path / "eval").exists()


@pytest.mark.slow
def test_a_full_disk_under_the_compiled_code_cache_does_not_stop_clustering(tmp_path: Path) -> None:
    """numba lets a failed cache write out of the compilation; in a fresh process (the only one that compiles)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to make a real full disk: {mounted.stderr.strip()}")
    try:
        (disk / "numba").mkdir()
        (disk / "filler").write_bytes(b"\0" * (60 * 1024))
        script = f"""
import numpy as np
from pathlib import Path
from narratives.cluster.jit_cache import cache_compiled_code
assert cache_compiled_code(Path({str(disk / "numba")!r}))
import umap
points = np.random.default_rng(0).normal(size=(300, 8)).astype(np.float32)
print(umap.UMAP(n_neighbors=10, n_components=2, random_state=1).fit_transform(points).shape)
"""
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip() == "(300, 2)"
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


@pytest.mark.slow
def test_a_transcript_where_nothing_is_coded_still_gets_a_report(tmp_path: Path, repo_dir: Path,
                                                                 cache_dir: Path) -> None:
    import pandas as pd

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "p1.txt").write_text("Interviewer: Did you leave?\n\nP1: Yes.\n\nInterviewer: Okay.\n\nP1: Okay.\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "run", str(corpus), "--codebook", str(repo_dir / "configs/codebooks/physician-migration.yaml"),
        "--out", str(out), "--set", f"cache={cache_dir}",
    ])
    assert result.exit_code == 0, result.output
    assert "nothing was coded" in result.output and "segment.min_words" in result.output
    assert (out / "report.html").is_file()
    frequencies = pd.read_csv(out / "theme_frequencies.csv")
    assert len(frequencies) > 0 and frequencies["segments"].sum() == 0

    exported = CliRunner().invoke(app, ["export", str(out), "--to", "xlsx", "--out", str(tmp_path / "s.xlsx")])
    assert exported.exit_code == 2 and "nothing to export" in exported.output
    assert "Traceback" not in result.output + exported.output
    assert not (tmp_path / "s.xlsx").exists()
