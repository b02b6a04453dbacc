"""`narratives diff`: two runs that differ by one codebook entry, and what changed because of it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import yaml
from typer.testing import CliRunner

from narratives.cli import app


def _run(corpus: Path, codebook: Path, out: Path, cache: Path) -> None:
    done = CliRunner().invoke(app, ["run", str(corpus), "--codebook", str(codebook), "--out", str(out),
                                    "--set", f"cache={cache}", "--set", "align.method=calibrated"])
    assert done.exit_code == 0, done.output


def test_diff_of_two_runs_that_differ_by_one_codebook_entry(tmp_path: Path, repo_dir: Path, cache_dir: Path,
                                                           interview_text: str) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "p2.txt").write_text(interview_text + (
        "\nInterviewer: Anything else?\n\n"
        "P2: My mother cried at the airport and I still call her every night from the hospital car park.\n"),
        encoding="utf-8")
    book = yaml.safe_load((repo_dir / "configs/codebooks/physician-migration.yaml").read_text(encoding="utf-8"))
    first = tmp_path / "book-1.yaml"
    first.write_text(yaml.safe_dump(book), encoding="utf-8")
    # the second codebook adds one theme, written to take the family passage
    book["themes"].append({"id": "family-left-behind", "label": "Family left behind",
                           "definition": "Parents, spouses and children at home; calling them, missing them, "
                                         "their tears at the airport.",
                           "keywords": ["mother", "family", "airport", "call"]})
    second = tmp_path / "book-2.yaml"
    second.write_text(yaml.safe_dump(book), encoding="utf-8")
    _run(corpus, first, tmp_path / "run-1", cache_dir)
    _run(corpus, second, tmp_path / "run-2", cache_dir)

    done = CliRunner().invoke(app, ["diff", str(tmp_path / "run-1"), str(tmp_path / "run-2"),
                                    "--out", str(tmp_path / "diff")])
    assert done.exit_code == 0, done.output
    assert "codebook: family-left-behind added" in done.output
    diff = json.loads((tmp_path / "diff" / "diff.json").read_text(encoding="utf-8"))
    assert [c["id"] for c in diff["codebook"]] == ["family-left-behind"] and diff["settings"] == []
    moved = pd.read_csv(tmp_path / "diff" / "moved_segments.csv")
    assert diff["theme_moved"] == len(moved) >= 1
    assert "family-left-behind" in set(moved["to"]) and moved["text"].str.contains("mother").any()
    family = next(t for t in diff["by_theme"] if t["theme"] == "family-left-behind")
    assert family["before"] == 0 and family["after"] == family["gained"] >= 1
    assert family["share_after"] == round(family["after"] / diff["segments_compared"], 4)

    # the later run compared with the earlier says the same in its own report
    again = CliRunner().invoke(app, ["run", str(corpus), "--codebook", str(second), "--out", str(tmp_path / "run-1b"),
                                     "--compare", str(tmp_path / "run-1"),
                                     "--set", f"cache={cache_dir}", "--set", "align.method=calibrated"])
    assert again.exit_code == 0, again.output
    page = (tmp_path / "run-1b" / "report.html").read_text(encoding="utf-8")
    assert "codebook: family-left-behind added" in page


def test_settings_under_their_old_names_are_not_changes() -> None:
    """A run made before ``embed.backend`` became ``embed.runtime`` (and ``embed.cache_dir`` the run's
    ``cache``) compared with one made after: nothing changed but the names."""
    from narratives.config import RunConfig
    from narratives.reports.changes import setting_changes

    now = RunConfig().model_dump(mode="json")
    before = json.loads(json.dumps(now))
    before.pop("cache")
    before["embed"]["backend"] = before["embed"].pop("runtime")
    before["embed"]["cache_dir"] = "/somewhere/else"
    assert setting_changes(before, now) == ()
    before["embed"]["backend"] = "onnx"
    assert setting_changes(before, now) == ({"setting": "embed.runtime", "before": "onnx", "after": "onnx-int8"},)
