"""Every YAML the toolkit reads (codebook, config, corpus manifest, model manifest) refuses an
alias bomb or a self-referencing document within a second, naming the file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from narratives.cli import app

BOMB = "a0: &a0 [" + ", ".join(['"lol"'] * 9) + "]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)
)
LOOP = "documents: &loop\n  - file: a.txt\n    extra: *loop\n"


@pytest.mark.parametrize("body", [BOMB, LOOP], ids=["alias-bomb", "self-reference"])
def test_every_yaml_reader_refuses_bombs(tmp_path: Path, body: str, repo_dir: Path) -> None:
    from narratives.align import load_codebook
    from narratives.config import load_config
    from narratives.errors import NarrativesError
    from narratives.loaders.corpus_manifest import read_manifest

    files = {name: tmp_path / name for name in ("codebook.yaml", "config.yaml", "manifest.yaml")}
    for path in files.values():
        path.write_text(body)
    (tmp_path / "a.txt").write_text("P1: text\n")
    for reader, path in ((load_codebook, files["codebook.yaml"]), (load_config, files["config.yaml"]),
                         (read_manifest, files["manifest.yaml"])):
        started = time.perf_counter()
        with pytest.raises(NarrativesError) as caught:
            reader(path)
        assert time.perf_counter() - started < 2
        assert str(path) in str(caught.value)
        assert "alias" in str(caught.value)


def test_run_with_a_manifest_bomb_stops_with_exit_2(tmp_path: Path, repo_dir: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(BOMB + "documents:\n  - file: corpus/p1.txt\n    country: *a9\n")
    (corpus / "p1.txt").write_text("P1: The salary was too low to pay the rent, so I left for good.\n")
    started = time.perf_counter()
    result = CliRunner().invoke(app, [
        "run", str(corpus), "--manifest", str(manifest), "--out", str(tmp_path / "out"),
        "--codebook", str(repo_dir / "configs/codebooks/physician-migration.yaml"),
    ])
    assert time.perf_counter() - started < 10
    assert result.exit_code == 2, result.output
    assert str(manifest) in result.output and "alias bomb" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_ordinary_anchors_still_work(tmp_path: Path) -> None:
    from narratives.safe_yaml import load_yaml

    assert load_yaml("base: &b {x: 1}\nother: *b\nlist: [*b, *b]\n") == {
        "base": {"x": 1}, "other": {"x": 1}, "list": [{"x": 1}, {"x": 1}],
    }
