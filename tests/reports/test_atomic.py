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


def test_an_output_folder_never_replaces_or_sits_inside_an_input(tmp_path: Path) -> None:
    corpus = tmp_path / "interviews"
    corpus.mkdir()
    (corpus / "p01.txt").write_text("P1: I left in 2019.")
    manifest = tmp_path / "meta" / "manifest.csv"
    manifest.parent.mkdir()
    manifest.write_text("file,participant\np01.txt,P1\n")
    for out, says in ((corpus, "holds the input"), (tmp_path, "holds the input"),
                      (corpus / "results", "inside the input folder"), (manifest.parent, "holds the input")):
        with pytest.raises(OutputExistsError, match=says):
            check_output_dir(out, force=True, inputs=[corpus, manifest])
    assert check_output_dir(tmp_path / "results", force=True, inputs=[corpus, manifest]) == tmp_path / "results"


def test_force_replaces_results_never_a_folder_of_other_files(tmp_path: Path) -> None:
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "chapter-3.docx").write_text("two years of work")
    with pytest.raises(OutputExistsError, match=r"no run_manifest\.json"):
        check_output_dir(thesis, force=True, results_marker="run_manifest.json")
    (thesis / "run_manifest.json").write_text("{}")  # an earlier run's folder: --force may replace it
    assert check_output_dir(thesis, force=True, results_marker="run_manifest.json") == thesis


def test_dot_is_resolved_so_it_can_be_replaced_from_outside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert check_output_dir(".", force=False) == tmp_path
    assert check_output_dir(Path("sub") / "..", force=False) == tmp_path


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_results_get_the_permissions_the_users_other_folders_get(tmp_path: Path, umask: int) -> None:
    """A temporary folder is private (0700); results moved into place from one stayed private, so a
    collaborator on a shared machine could not open them."""
    import os

    previous = os.umask(umask)
    try:
        out = tmp_path / f"results-{umask:o}"
        with staged_directory(out) as staging:
            (staging / "segments.csv").write_text("new")
        expected = 0o777 & ~umask
        assert out.stat().st_mode & 0o777 == expected
        assert (out / "segments.csv").stat().st_mode & 0o777 == 0o666 & ~umask
    finally:
        os.umask(previous)
