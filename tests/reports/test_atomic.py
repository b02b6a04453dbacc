"""Results folders are replaced whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from narratives.errors import OutputExistsError
from narratives.reports.atomic import check_output_dir, staged_directory


def test_a_failed_write_leaves_the_old_results_untouched(tmp_path: Path) -> None:
    out = tmp_path / "results"
    out.mkdir()
    (out / "segments.csv").write_text("old")
    with pytest.raises(RuntimeError), staged_directory(out) as staging:
        (staging / "segments.csv").write_text("half")
        raise RuntimeError("interrupted")
    assert (out / "segments.csv").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"], "no staging folder is left behind"


def test_a_finished_write_replaces_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "results"
    out.mkdir()
    (out / "stale.csv").write_text("old")
    with staged_directory(out) as staging:
        (staging / "segments.csv").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["segments.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_existing_results_need_force(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x")
    with pytest.raises(OutputExistsError, match="--force"):
        check_output_dir(tmp_path, force=False)
    assert check_output_dir(tmp_path, force=True) == tmp_path
    assert check_output_dir(tmp_path / "new", force=False) == tmp_path / "new"
