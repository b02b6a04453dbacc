"""A full disk or a read-only one: a clear message and exit 2 for the results, a note for the
cache, and the earlier results left as they were. The faults are real: small tmpfs mounts
(root only; the tests skip with the reason elsewhere)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from narratives.cli import app

pytestmark = pytest.mark.slow

GOOD = (
    "Interviewer: Tell me about the pay.\n\n"
    "P2: The salary was an insult after years of training, it could not cover rent and fees.\n\n"
    "Interviewer: And the hospital?\n\n"
    "P2: There were no drugs in the emergency cupboard, we improvised with what we had.\n"
)


@contextmanager
def _tmpfs(where: Path, *options: str) -> Iterator[Path]:
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(("size=256k", *options)), "tmpfs", str(where)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to make a real full or read-only disk: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _invoke(tmp_path: Path, repo_dir: Path, out: Path, cache: Path) -> tuple[int, str]:
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    (corpus / "p2.txt").write_text(GOOD)
    result = CliRunner().invoke(app, [
        "run", str(corpus), "--codebook", str(repo_dir / "configs/codebooks/physician-migration.yaml"),
        "--out", str(out), "--force", "--set", f"embed.cache_dir={cache}",
    ])
    return result.exit_code, result.output


def test_a_full_disk_for_the_results_is_a_clear_error_and_keeps_the_old_ones(tmp_path: Path, repo_dir: Path,
                                                                             cache_dir: Path) -> None:
    with _tmpfs(tmp_path / "disk") as disk:
        old = disk / "out"
        old.mkdir()
        (old / "run_manifest.json").write_text('{"earlier": "run"}')
        code, output = _invoke(tmp_path, repo_dir, old, cache_dir)  # report.html alone is over 3 MB
        assert code == 2, output
        assert "no space left" in output and str(disk) in output
        assert "Traceback" not in output
        assert json.loads((old / "run_manifest.json").read_text()) == {"earlier": "run"}
        assert sorted(p.name for p in disk.iterdir()) == ["out"]  # no staging folder left behind


def test_a_read_only_disk_for_the_results_says_so(tmp_path: Path, repo_dir: Path, cache_dir: Path) -> None:
    with _tmpfs(tmp_path / "disk", "ro") as disk:
        code, output = _invoke(tmp_path, repo_dir, disk / "out", cache_dir)
        assert code == 2, output
        assert "cannot write" in output and "Read-only" in output
        assert "Traceback" not in output


def test_a_full_disk_for_the_cache_only_costs_speed(tmp_path: Path, repo_dir: Path) -> None:
    with _tmpfs(tmp_path / "disk") as disk:
        (disk / "filler").write_bytes(b"\0" * (256 * 1024 - 8192))  # leaves too little for any cache file
        out = tmp_path / "out"
        code, output = _invoke(tmp_path, repo_dir, out, disk / "cache")
        assert code == 0, output
        assert "Traceback" not in output
        notes = json.loads((out / "run_manifest.json").read_text())["notes"]
        assert [n for n in notes if "cache" in n and str(disk) in n]
