"""``narratives evaluate`` end to end on a small invented gold set for the shipped codebook."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from narratives.cli import app

runner = CliRunner()

PASSAGES = [
    ("d1", "salary-inadequacy", "After twelve years of training my monthly salary barely paid the rent."),
    ("d1", "resource-scarcity", "We ran the ward without gloves, and the only oxygen concentrator was broken."),
    ("d1", "homeland-conscience", "I send money every month so the clinic in my village can buy basic drugs."),
    ("d1", "structured-training", "Here the residency has a curriculum, a named supervisor and exams I can plan for."),
    ("d2", "financial-insecurity", "No insurance, no pension, and if a patient sued me I would lose everything."),
    ("d2", "absent-meritocracy", "Promotions went to whoever knew the minister, never to the hardest worker."),
    ("d2", "regulated-hours", "In Britain my rota ends after thirteen hours and I actually get days off to rest."),
    ("d2", "credentialing-barriers", "The licensing exams and the language test took me three years and my savings."),
    ("d3", "technology-access", "Having an MRI available the same night changes what medicine I can practise."),
    ("d3", "professional-respect", "At home patients' families shouted at doctors; here my opinion is respected."),
    ("d3", "cultural-dislocation", "My children speak English at home now and I feel like a stranger at Eid."),
    ("d3", "conditional-return", "I would return if the government guaranteed a fair salary and working equipment."),
    ("d4", "salary-inadequacy", "A junior doctor earns less than a taxi driver in our capital."),
    ("d4", "resource-scarcity", "Patients had to bring their own syringes and buy the sutures at the pharmacy."),
    ("d4", "credentialing-barriers", "I had to repeat my whole internship because my degree was not recognised."),
    ("d4", "homeland-conscience", "I feel guilty that the hospital where I trained has lost half its doctors."),
]


@pytest.fixture()
def gold(tmp_path: Path) -> Path:
    path = tmp_path / "gold.csv"
    pd.DataFrame(PASSAGES, columns=["document", "code", "text"]).to_csv(path, index=False)
    return path


def _args(gold: Path, repo_dir: Path, cache_dir: Path, *extra: str) -> list[str]:
    return ["evaluate", str(gold), "--codebook", str(repo_dir / "configs/codebooks/physician-migration.yaml"),
            "--set", f"cache={cache_dir}", "--bootstrap", "200", *extra]


@pytest.mark.slow
def test_zero_shot_report(gold: Path, tmp_path: Path, repo_dir: Path, cache_dir: Path) -> None:
    out = tmp_path / "report"
    result = runner.invoke(app, _args(gold, repo_dir, cache_dir, "--out", str(out)))
    assert result.exit_code == 0, result.output
    assert "code level (n=16): accuracy 0." in result.output and "theme level (n=16)" in result.output
    assert "coverage" in result.output and "Calibration:" in result.output and "≥ 0.8" in result.output
    assert str(out / "summary.json") in result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["predictions.csv", "per_code.csv", "confusion.csv", "confusion_theme.csv", "reliability.csv", "thresholds.csv",
         "summary.json"]
    )
    predictions = pd.read_csv(out / "predictions.csv", keep_default_na=False)
    assert list(predictions.columns) == ["text", "gold", "predicted", "score", "predicted_theme", "nearest", "fold"]
    assert (predictions["fold"] == "").all()
    confusion = pd.read_csv(out / "confusion.csv", index_col="gold")
    assert confusion.columns[-1] == "unassigned" and int(confusion.to_numpy().sum()) == 16
    assert len(pd.read_csv(out / "reliability.csv")) == 10
    summary = json.loads((out / "summary.json").read_text())
    accuracy = summary["levels"]["code"]["accuracy"]
    assert accuracy["low"] <= accuracy["value"] <= accuracy["high"]
    assert len(summary["codebook"]["sha256"]) == 64 and "all-MiniLM-L6-v2" in summary["model"]
    assert summary["settings"]["bootstrap_resamples"] == 200 and summary["settings"]["folds"] is None


@pytest.mark.slow
def test_cross_validation_holds_documents_out(gold: Path, tmp_path: Path, repo_dir: Path, cache_dir: Path) -> None:
    out = tmp_path / "cv"
    result = runner.invoke(app, _args(gold, repo_dir, cache_dir, "--examples", str(gold), "--folds", "4",
                                      "--group-column", "document", "--out", str(out)))
    assert result.exit_code == 0, result.output
    assert "4-fold cross-validation by 'document'" in result.output
    predictions = pd.read_csv(out / "predictions.csv")
    predictions["document"] = [d for d, _, _ in PASSAGES]
    assert predictions.groupby("document")["fold"].nunique().eq(1).all()
    assert sorted(predictions["fold"].unique()) == [0, 1, 2, 3]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["settings"]["folds"] == 4 and summary["settings"]["group_column"] == "document"


@pytest.mark.slow
def test_python_api_returns_frames(gold: Path, repo_dir: Path, cache_dir: Path) -> None:
    import narratives

    config = narratives.load_config(None, [f"cache={cache_dir}"])
    result = narratives.evaluate(gold, repo_dir / "configs/codebooks/physician-migration.yaml", config=config,
                                 resamples=100)
    code = result.level("code")
    assert isinstance(code.per_code, pd.DataFrame) and isinstance(code.confusion, pd.DataFrame)
    assert isinstance(result.reliability.table, pd.DataFrame)
    assert code.accuracy.low is not None and 0.0 <= code.coverage <= 1.0


def test_refuses_a_non_empty_out_without_force(gold: Path, tmp_path: Path, repo_dir: Path, cache_dir: Path) -> None:
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = runner.invoke(app, _args(gold, repo_dir, cache_dir, "--out", str(out)))
    assert result.exit_code == 2 and "--force" in result.output
    assert (out / "keep.txt").read_text() == "mine"


def test_folds_need_the_gold_file_as_examples(gold: Path, repo_dir: Path, cache_dir: Path) -> None:
    result = runner.invoke(app, _args(gold, repo_dir, cache_dir, "--folds", "4"))
    assert result.exit_code == 2 and "--examples" in result.output


TWO_THEMES = [
    ("u1", "salary-inadequacy", "My salary could not pay the rent, and I still feel I abandoned my patients at home."),
    ("u1", "homeland-conscience",
     "My salary could not pay the rent, and I still feel I abandoned my patients at home."),
    ("u2", "resource-scarcity", "There was no oxygen on the ward and the promotion went to the minister's nephew."),
    ("u2", "absent-meritocracy", "There was no oxygen on the ward and the promotion went to the minister's nephew."),
    ("u3", "regulated-hours", "In Britain my rota ends after thirteen hours and I actually get days off to rest."),
    ("u4", "credentialing-barriers", "The licensing exams and the language test took me three years and my savings."),
]


@pytest.mark.slow
def test_multi_label_gold_is_scored_as_sets(tmp_path: Path, repo_dir: Path, cache_dir: Path) -> None:
    gold = tmp_path / "multi.csv"
    pd.DataFrame(TWO_THEMES, columns=["id", "code", "text"]).to_csv(gold, index=False)
    out = tmp_path / "multi"
    result = runner.invoke(app, _args(gold, repo_dir, cache_dir, "--id-column", "id", "--out", str(out)))
    assert result.exit_code == 0, result.output
    assert "code level, code sets (n=4): micro-F1 0." in " ".join(result.output.split())
    predictions = pd.read_csv(out / "predictions.csv", keep_default_na=False)
    assert list(predictions.columns[:5]) == ["id", "text", "gold", "predicted", "score"]
    assert list(predictions["id"]) == ["u1", "u2", "u3", "u4"]
    assert predictions.loc[0, "gold"] == "salary-inadequacy;homeland-conscience"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["multi_label"] is True and summary["settings"]["id_column"] == "id"
    code = summary["levels"]["code"]
    assert code["gold_per_unit"] == 1.5 and code["micro_f1"]["low"] <= code["micro_f1"]["value"]
    per_code = pd.read_csv(out / "per_code.csv")
    assert set(per_code[per_code["level"] == "code"]["code"]) == {c for _, c, _ in TWO_THEMES}


@pytest.mark.slow
def test_examples_are_read_with_their_decisions(gold: Path, tmp_path: Path, repo_dir: Path, cache_dir: Path) -> None:
    """A rejected row in --examples is evidence against its code, never an example of it."""
    import narratives

    examples = tmp_path / "decisions.csv"
    pd.DataFrame([
        ("The stipend was paid late for months.", "salary-inadequacy", "accept"),
        ("No pension and no indemnity cover at all.", "financial-insecurity", "accept"),
        ("We improvised without gloves.", "resource-scarcity", "accept"),
        ("The rota here is fair.", "salary-inadequacy", "reject"),
        ("I miss my mother's cooking.", "homeland-conscience", "reject"),
    ], columns=["text", "code", "decision"]).to_csv(examples, index=False)
    config = narratives.load_config(None, [f"cache={cache_dir}", "align.extra_models=[]"])
    result = narratives.evaluate(gold, repo_dir / "configs/codebooks/physician-migration.yaml", examples=examples,
                                 config=config, resamples=0)
    assert (result.settings.n_examples, result.settings.n_rejections) == (3, 2)
