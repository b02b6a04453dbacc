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

pytestmark = pytest.mark.slow

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


def test_a_full_disk_for_the_results_is_a_clear_error_and_keeps_the_old_ones(  # type: ignore[no-untyped-def]
    tmp_path: Path, run_small, cache_dir: Path
) -> None:
    with _tmpfs(tmp_path / "disk") as disk:
        old = disk / "out"
        old.mkdir()
        (old / "run_manifest.json").write_text('{"earlier": "run"}')
        code, output, _ = run_small(old, cache_dir)  # report.html alone is over 3 MB
        assert code == 2, output
        assert "no space left" in output and str(disk) in output
        assert "Traceback" not in output
        assert json.loads((old / "run_manifest.json").read_text()) == {"earlier": "run"}
        assert sorted(p.name for p in disk.iterdir()) == ["out"]  # no staging folder left behind


def test_a_read_only_disk_for_the_results_says_so(tmp_path: Path, run_small, cache_dir: Path) -> None:  # type: ignore[no-untyped-def]
    with _tmpfs(tmp_path / "disk", "ro") as disk:
        code, output, _ = run_small(disk / "out", cache_dir)
        assert code == 2, output
        assert "cannot write" in output and "Read-only" in output
        assert "Traceback" not in output


def test_a_full_disk_for_the_cache_only_costs_speed(tmp_path: Path, run_small) -> None:  # type: ignore[no-untyped-def]
    with _tmpfs(tmp_path / "disk") as disk:
        (disk / "filler").write_bytes(b"\0" * (256 * 1024 - 8192))  # leaves too little for any cache file
        out = tmp_path / "out"
        code, output, manifest = run_small(out, disk / "cache")
        assert code == 0, output
        assert "Traceback" not in output
        assert [n for n in manifest["notes"] if "cache" in n and str(disk) in n]


def test_a_full_disk_for_an_export_names_the_file(tmp_path: Path, demo_run) -> None:  # type: ignore[no-untyped-def]
    """The error named "a file", and a half-written workbook's finalizer printed a second traceback."""
    import sys

    _, run_dir = demo_run
    with _tmpfs(tmp_path / "disk") as disk:
        (disk / "filler").write_bytes(b"\0" * 200_000)
        target = disk / "review" / "decisions.xlsx"
        command = [str(Path(sys.executable).with_name("narratives")), "export", str(run_dir), "--to", "xlsx",
                   "--units", "assigned", "--out", str(target)]
        done = subprocess.run(command, capture_output=True, text=True)
        assert done.returncode == 2, done.stderr
        assert f"no space left on the disk while writing {target}" in done.stderr
        assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
        assert not target.exists() and not list(target.parent.glob(".*partial"))
