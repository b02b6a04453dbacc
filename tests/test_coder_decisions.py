"""A run that learns from coders' decisions: rejections, recodes, disagreements, the tuned model, seeds."""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from narratives.cli import app

pytestmark = pytest.mark.slow

TRANSCRIPT = (
    "Interviewer: What do you do besides the hospital?\n\n"
    "P4: We built an app that books video consultations with specialists for patients in small towns back home.\n\n"
    "Interviewer: How are your hours here?\n\n"
    "P4: The night rota here is published weeks ahead and I always get a rest day after nights.\n\n"
    "Interviewer: And the money back home?\n\n"
    "P4: My salary as a registrar could not cover the rent of a small flat in Lahore.\n\n"
    "Interviewer: What came first after you arrived?\n\n"
    "P4: I sat the licensing exam twice and paid the fees from my savings before I could work.\n"
)
APP = "We built an app that books video consultations with specialists for patients in small towns back home."
ROTA = "The night rota here is published weeks ahead and I always get a rest day after nights."
SALARY = "My salary as a registrar could not cover the rent of a small flat in Lahore."

_PLACES = ("Multan", "Quetta", "Sukkur", "Mardan", "Swat", "Thar", "Gilgit", "Sialkot", "Jhang", "Bannu", "Kasur",
           "Chitral")
_TEMPLATES = {
    "homeland-conscience": "Every weekend I give free video clinics to patients from {p}, the town I left.",
    "regulated-hours": "My shifts in the hospital near {p} Road are capped at 48 hours and rest days follow nights.",
    "salary-inadequacy": "In {p} my monthly pay as a doctor did not cover my children's school fees.",
    "credentialing-barriers": "The licensing exam fees took a year of my savings, as for every doctor from {p}.",
}


def _examples() -> list[tuple[str, str, str, str, str]]:
    """48 accepted quotes (12 per code, our own writing), as rows text, code, decision, recode_to, coder."""
    return [(t.format(p=p), code, "accept", "", "amna") for code, t in _TEMPLATES.items() for p in _PLACES]


def _write(path: Path, rows: list[tuple[str, str, str, str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "code", "decision", "recode_to", "coder"])
        writer.writerows(rows)
    return path


def _run(
    tmp_path: Path, repo_dir: Path, out: str, examples: Path, cache: Path, *extra: str
) -> dict[str, dict[str, str]]:
    result = CliRunner().invoke(app, [
        "run", str(tmp_path / "p4.txt"), "--codebook", str(repo_dir / "configs/codebooks/physician-migration.yaml"),
        "--out", str(tmp_path / out), "--examples", str(examples), "--set", f"cache={cache}",
        "--set", "align.tune_epochs=1", "--set", "align.tune_from=40", *extra,
    ])
    assert result.exit_code == 0, result.output
    with (tmp_path / out / "segments.csv").open(encoding="utf-8") as fh:
        rows = {row["text"]: row for row in csv.DictReader(fh) if row["status"] == "coded"}
    rows["_output"] = {"text": result.output}
    return rows


@pytest.fixture()
def transcript(tmp_path: Path) -> Path:
    path = tmp_path / "p4.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    return path


def test_a_rejected_code_never_comes_back_and_a_recode_moves_the_passage(
    tmp_path: Path, repo_dir: Path, cache_dir: Path, transcript: Path
) -> None:
    examples = _examples()
    first = _run(tmp_path, repo_dir, "first", _write(tmp_path / "first.csv", examples), cache_dir)
    assert first[ROTA]["subtheme"] == "regulated-hours"  # the examples taught it
    decided = [
        *examples,
        (ROTA, "regulated-hours", "reject", "", "amna"),
        (SALARY, "salary-inadequacy", "recode", "financial-insecurity", "amna"),
    ]
    second = _run(tmp_path, repo_dir, "second", _write(tmp_path / "second.csv", decided), cache_dir)
    assert second[ROTA]["subtheme"] != "regulated-hours"
    assert second[ROTA]["best_subtheme"] != "regulated-hours"
    # rejected with no other code given: no code fits it, by the coder's word
    assert (second[ROTA]["theme"], second[ROTA]["coded_by"]) == ("unassigned", "coder")
    moved = second[SALARY]
    assert (moved["subtheme"], moved["theme"], moved["coded_by"], float(moved["score"])) == (
        "financial-insecurity", "economic-disenfranchisement", "coder", 1.0)
    assert second[APP]["coded_by"] == "machine"
    manifest = json.loads((tmp_path / "second" / "run_manifest.json").read_text(encoding="utf-8"))
    assert manifest["examples"]["decisions"]["codes_rejected"] == 2  # the rejection, and the code recoded away
    assert manifest["examples"]["decisions"]["no_code_fits"] == 1
    check = manifest["aligner"]["check"]
    assert check["decisions"] >= 40 and check["verdict"] != "worse"
    assert "Checked on the coders'" in " ".join(second["_output"]["text"].split())
    page = (tmp_path / "second" / "report.html").read_text(encoding="utf-8")
    assert "This round" in page and "decided passages" in page
    assert manifest["aligner"]["method"] == "learned" and manifest["aligner"]["examples"] == 49


def test_coders_who_disagree_are_reported_and_their_tie_is_not_evidence(
    tmp_path: Path, repo_dir: Path, cache_dir: Path, transcript: Path
) -> None:
    rows = [*_examples(), (APP, "homeland-conscience", "accept", "", "amna"), (APP, "homeland-conscience", "reject", "",
                                                                              "bilal")]
    out = _run(tmp_path, repo_dir, "out", _write(tmp_path / "two.csv", rows), cache_dir)
    assert out[APP]["coded_by"] == "machine"  # a tie decides nothing
    assert "Coders disagree on 1" in " ".join(out["_output"]["text"].split())
    manifest = json.loads((tmp_path / "out" / "run_manifest.json").read_text(encoding="utf-8"))
    (tie,) = manifest["examples"]["decisions"]["disagreements"]
    assert (tie["code"], tie["given_by"], tie["taken_by"], tie["outcome"]) == (
        "homeland-conscience", ["amna"], ["bilal"], "tie: not used")


def test_the_tuned_model_is_reused_and_the_same_seed_gives_the_same_themes(
    tmp_path: Path, repo_dir: Path, transcript: Path
) -> None:
    examples = _write(tmp_path / "ex.csv", _examples())
    cache_a, cache_b = tmp_path / "cache-a", tmp_path / "cache-b"
    first = _run(tmp_path, repo_dir, "a1", examples, cache_a)
    (tuned,) = (cache_a / "tuned").iterdir()
    stamp = (tuned / "tuning.json").stat().st_mtime_ns
    again = _run(tmp_path, repo_dir, "a2", examples, cache_a)
    assert [p.name for p in (cache_a / "tuned").iterdir()] == [tuned.name]
    assert (tuned / "tuning.json").stat().st_mtime_ns == stamp  # loaded, not trained again
    manifest = json.loads((tmp_path / "a2" / "run_manifest.json").read_text(encoding="utf-8"))
    assert manifest["aligner"]["tuned_model"] == str(tuned)
    elsewhere = _run(tmp_path, repo_dir, "b1", examples, cache_b)  # trained again from scratch
    for rows in (again, elsewhere):
        for text, row in first.items():
            if text != "_output":
                assert (rows[text]["theme"], rows[text]["subtheme"], rows[text]["score"]) == (
                    row["theme"], row["subtheme"], row["score"]), text


def test_a_run_replacing_another_says_what_moved(tmp_path: Path, repo_dir: Path, cache_dir: Path,
                                                 transcript: Path) -> None:
    _run(tmp_path, repo_dir, "out", _write(tmp_path / "a.csv", _examples()), cache_dir)
    recoded = [*_examples(), (ROTA, "regulated-hours", "recode", "professional-respect", "amna")]
    out = _run(tmp_path, repo_dir, "out", _write(tmp_path / "b.csv", recoded), cache_dir, "--force")
    text = " ".join(out["_output"]["text"].split())
    assert "Changed:" in text and "changed theme" in text
    manifest = json.loads((tmp_path / "out" / "run_manifest.json").read_text(encoding="utf-8"))
    changes = manifest["changes"]
    assert changes["compared_with"] == str(tmp_path / "out")
    assert any(m["to_subtheme"] == "professional-respect" for m in changes["moves"])
    page = " ".join((tmp_path / "out" / "report.html").read_text(encoding="utf-8").split())
    assert f"<b>{changes['theme_moved']} of {changes['segments_compared']}</b> coded segments changed theme" in page
    assert f"<th>Scores</th><td>{html.escape(manifest['aligner']['scores'], quote=False)}" in page or (
        f"<th>Scores</th><td><b>{html.escape(manifest['aligner']['scores'], quote=False)}" in page)  # what scores mean
    shown = any(r["precision"] is not None for r in manifest["aligner"]["reliability"])
    assert ("<th>score ≥</th>" in page) == shown == ("an upper bound for the rest of the corpus" in page)
