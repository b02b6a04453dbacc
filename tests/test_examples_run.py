"""`narratives run --examples`: a coder's accepted quotes change what the next run proposes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from narratives.cli import app

pytestmark = pytest.mark.slow

TRANSCRIPT = (
    "Interviewer: What do you do besides the hospital?\n\n"
    "P4: We built an app that books video consultations with specialists for patients in small towns back home.\n\n"
    "Interviewer: Anything else?\n\n"
    "P4: The night rota here is published weeks ahead and I always get a rest day after nights.\n"
)
EXAMPLES = [
    ("I run free video clinics for patients in my home district every weekend.", "homeland-conscience", "accept"),
    ("Our telemedicine app connects village patients with doctors abroad like me.", "homeland-conscience", "accept"),
    ("I review scans for my old hospital in Multan over WhatsApp at night.", "homeland-conscience", "accept"),
    ("We set up online teaching for the residents I left behind.", "homeland-conscience", "accept"),
    ("Our start-up gives remote consultations to patients in rural Sindh.", "homeland-conscience", "accept"),
    ("After a night shift I am always given the next day off.", "regulated-hours", "accept"),
    ("My rota is fixed six weeks ahead and I never work more than 48 hours.", "regulated-hours", "accept"),
    ("There are proper rest periods between shifts here.", "regulated-hours", "accept"),
    ("Duty hours are limited and overtime is paid.", "regulated-hours", "accept"),
    ("I finally sleep after my on-call because the rota protects rest.", "regulated-hours", "accept"),
    ("The app was funded by investors from Dubai.", "salary-inadequacy", "reject"),
]


def _run(tmp_path: Path, repo_dir: Path, out: str, extra: list[str]) -> list[dict[str, str]]:
    result = CliRunner().invoke(app, [
        "run", str(tmp_path / "p4.txt"), "--codebook", str(repo_dir / "configs/codebooks/physician-migration.yaml"),
        "--out", str(tmp_path / out), "-q", *extra,
    ])
    assert result.exit_code == 0, result.output
    with (tmp_path / out / "segments.csv").open(encoding="utf-8") as fh:
        return [row for row in csv.DictReader(fh) if row["status"] == "coded"]


def test_examples_teach_the_next_run(tmp_path: Path, repo_dir: Path) -> None:
    (tmp_path / "p4.txt").write_text(TRANSCRIPT, encoding="utf-8")
    with (tmp_path / "decisions.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "code", "decision"])
        writer.writerows(EXAMPLES)
    before = _run(tmp_path, repo_dir, "before", [])
    after = _run(tmp_path, repo_dir, "after", ["--examples", str(tmp_path / "decisions.csv")])
    app_before, _ = before
    app_after, rota_after = after
    assert app_after["subtheme"] == "homeland-conscience"
    assert app_before["subtheme"] != "homeland-conscience" or float(app_after["score"]) > float(app_before["score"])
    assert rota_after["subtheme"] == "regulated-hours"
    manifest = json.loads((tmp_path / "after" / "run_manifest.json").read_text())
    assert manifest["examples"]["accepted"] == 10 and manifest["examples"]["rejected"] == 1
    assert manifest["examples"]["no_code_fits"] == 1  # rejected with no other code
    assert len(manifest["examples"]["sha256"]) == 64
    # the same decisions returned in two rounds' files, each given with its own --examples
    rounds = []
    for n, rows in enumerate((EXAMPLES[:6], EXAMPLES[6:]), start=1):
        rounds.append(tmp_path / f"round-{n}.csv")
        with rounds[-1].open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([["text", "code", "decision"], *rows])
    split = _run(tmp_path, repo_dir, "split", [x for r in rounds for x in ("--examples", str(r))])
    assert [(r["theme"], r["subtheme"], r["score"]) for r in split] == [
        (r["theme"], r["subtheme"], r["score"]) for r in after]
    manifest = json.loads((tmp_path / "split" / "run_manifest.json").read_text())
    assert manifest["examples"]["source"] == f"{rounds[0]} + {rounds[1]}"


def test_examples_with_unknown_code_stop_the_run_early(tmp_path: Path, repo_dir: Path) -> None:
    (tmp_path / "p4.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (tmp_path / "bad.csv").write_text("text,code\nSome passage here.,no-such-code\n", encoding="utf-8")
    result = CliRunner().invoke(app, [
        "run", str(tmp_path / "p4.txt"), "--codebook", str(repo_dir / "configs/codebooks/physician-migration.yaml"),
        "--out", str(tmp_path / "out"), "--examples", str(tmp_path / "bad.csv"),
    ])
    assert result.exit_code == 2
    assert "bad.csv" in result.output and "no-such-code" in result.output
    assert not (tmp_path / "out").exists()


def test_examples_for_a_few_codes_do_not_swallow_the_others(tmp_path: Path, repo_dir: Path, cache_dir: Path) -> None:
    import narratives
    from narratives.models import Example

    examples = [Example(text, code, decision == "accept") for text, code, decision in EXAMPLES]
    config = narratives.load_config(None, [f"cache={cache_dir}"])
    (tmp_path / "p9.txt").write_text(
        "Interviewer: Tell me about the pay.\n\n"
        "P9: My salary as a registrar could not cover my children's school fees.\n\n"
        "Interviewer: And promotion?\n\n"
        "P9: The post went to the professor's nephew; there were no criteria and no interview.\n",
        encoding="utf-8",
    )
    result = narratives.run([tmp_path / "p9.txt"], repo_dir / "configs/codebooks/physician-migration.yaml",
                            config=config, examples=examples)
    frame = result.segments_frame()
    coded = frame[frame["status"] == "coded"]
    assert list(coded["subtheme"]) == ["salary-inadequacy", "absent-meritocracy"]
