"""The command-line front door: fast help, friendly errors, the small commands."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from narratives.cli import app

runner = CliRunner()


def test_help_is_fast_and_imports_nothing_heavy() -> None:
    code = (
        "import sys, time; t = time.perf_counter()\n"
        "from narratives.cli import app\n"
        "from typer.testing import CliRunner\n"
        "r = CliRunner().invoke(app, ['--help'])\n"
        "assert r.exit_code == 0 and 'run' in r.output\n"
        "heavy = [m for m in ('torch', 'bertopic', 'spacy', 'sentence_transformers', 'pandas') if m in sys.modules]\n"
        "print(heavy, time.perf_counter() - t)\n"
    )
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    elapsed = time.perf_counter() - started
    assert out.startswith("[]"), f"heavy modules imported for --help: {out}"
    assert elapsed < 2.0


def test_codebook_validate_lists_themes(repo_dir: Path) -> None:
    result = runner.invoke(app, ["codebook", "validate", str(repo_dir / "configs/codebooks/physician-migration.yaml")])
    assert result.exit_code == 0, result.output
    assert "6 themes, 12 subthemes" in result.output
    assert "conditional-return" in result.output


def test_codebook_validate_names_file_entry_and_field(tmp_path: Path) -> None:
    book = tmp_path / "book.yaml"
    book.write_text("name: x\nthemes:\n  - id: pay\n    label: Pay\n    defintion: Money.\n")
    result = runner.invoke(app, ["codebook", "validate", str(book)])
    assert result.exit_code == 2
    assert "book.yaml" in result.output and "pay" in result.output and "definition" in result.output


@pytest.mark.slow
def test_models_list_and_verify() -> None:
    listed = runner.invoke(app, ["models", "list"])
    assert listed.exit_code == 0 and "all-MiniLM-L6-v2" in listed.output
    verified = runner.invoke(app, ["models", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db" in verified.output


@pytest.mark.slow
def test_evaluate_prints_metrics_and_writes_predictions(tmp_path: Path, cache_dir: Path, repo_dir: Path) -> None:
    gold = tmp_path / "gold.csv"
    pd.DataFrame({
        "passage": [
            "My pay as a registrar did not cover my daughter's school fees.",
            "There was no pension, no indemnity and no contract, so one bad case could ruin me.",
            "We had no working CT scanner and patients bought their own cannulas.",
            "The consultant post went to the professor's nephew, not to the best candidate.",
            "I still run a free online clinic for patients in my home district every Sunday.",
            "I would go back if my parents needed me and the hospital had proper equipment.",
        ],
        "tag": ["salary-inadequacy", "financial-insecurity", "resource-scarcity",
                "absent-meritocracy", "homeland-conscience", "conditional-return"],
    }).to_csv(gold, index=False)
    predictions = tmp_path / "pred.csv"
    result = runner.invoke(app, [
        "evaluate", str(gold), "--codebook", str(repo_dir / "configs/codebooks/physician-migration.yaml"),
        "--text-column", "passage", "--code-column", "tag", "--predictions", str(predictions),
        "--set", f"cache={cache_dir}",
    ])
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output and "kappa" in result.output and "theme level" in result.output
    frame = pd.read_csv(predictions, keep_default_na=False)
    assert list(frame.columns[:4]) == ["text", "gold", "predicted", "score"]
    assert len(frame) == 6
    assert (frame["gold"] == frame["predicted"]).mean() >= 0.5


def test_evaluate_names_missing_column(tmp_path: Path, repo_dir: Path) -> None:
    gold = tmp_path / "gold.csv"
    gold.write_text("words,label\nhello,x\n")
    result = runner.invoke(app, ["evaluate", str(gold), "--codebook",
                                 str(repo_dir / "configs/codebooks/physician-migration.yaml")])
    assert result.exit_code == 2
    assert "gold.csv" in result.output and "--text-column" in result.output
