"""A small run through the CLI, for the tests that damage what runs leave behind."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from narratives.cli import app

RunSmall = Callable[[Path, Path], tuple[int, str, dict[str, Any]]]


@pytest.fixture()
def run_small(tmp_path: Path, repo_dir: Path, interview_text: str) -> RunSmall:
    """``run_small(out, cache)`` runs one short interview with ``--force``; returns the exit code,
    the output and the run manifest (empty when none was written)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "p2.txt").write_text(interview_text)

    def run(out: Path, cache: Path) -> tuple[int, str, dict[str, Any]]:
        result = CliRunner().invoke(app, [
            "run", str(corpus), "--codebook", str(repo_dir / "configs/codebooks/physician-migration.yaml"),
            "--out", str(out), "--force", "--set", f"cache={cache}",
        ])
        written = out / "run_manifest.json"
        manifest = json.loads(written.read_text()) if written.is_file() else {}
        return result.exit_code, result.output, manifest

    return run
