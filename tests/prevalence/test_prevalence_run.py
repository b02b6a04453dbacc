"""Random verification samples and `narratives prevalence` on the demo run."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from narratives.cli import app
from narratives.coders.export import export_run
from narratives.coders.verification import measure_prevalence
from narratives.errors import InputError
from narratives.prevalence import COLUMNS
from narratives.reports.run_dir import load_run


def _ids(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig") as fh:
        return [r["unit_id"] for r in csv.DictReader(fh)]


def _fill(path: Path, decide) -> Path:  # type: ignore[no-untyped-def]
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row.update(decide(row))
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_random_sample_is_reproducible_with_a_seed_and_drawn_from_every_coded_segment(demo_run, tmp_path) -> None:
    _, run_dir = demo_run
    coded = load_run(run_dir).segments.query("status == 'coded'")
    a = export_run(run_dir, "csv", tmp_path / "a.csv", sample_random=80, seed=7)
    b = export_run(run_dir, "csv", tmp_path / "b.csv", sample_random=80, seed=7)
    c = export_run(run_dir, "csv", tmp_path / "c.csv", sample_random=80, seed=8)
    assert _ids(a.files[0]) == _ids(b.files[0]) != _ids(c.files[0])
    assert a.sample is not None and (a.sample.n, a.sample.population, a.sample.seed) == (80, len(coded), 7)
    ids = _ids(a.files[0])
    assert len(set(ids)) == 80 and set(ids) <= set(coded["segment_id"])
    with a.files[0].open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["sample"] for r in rows} == {"random n=80 of=1107 seed=7"} or len(coded) != 1107
    assert any(r["proposed_code"] == "none" for r in rows)  # unassigned segments are in the population


def test_stratified_sample_takes_each_group_in_proportion(demo_run, tmp_path) -> None:
    _, run_dir = demo_run
    coded = load_run(run_dir).segments.query("status == 'coded'")
    drawn = export_run(run_dir, "xlsx", tmp_path / "s.xlsx", sample_random=100, strata="country")
    ws = load_workbook(drawn.files[0])["Quotes"]
    head = [c.value for c in ws[1]]
    got = pd.Series([ws.cell(r, head.index("country") + 1).value or "" for r in range(2, ws.max_row + 1)])
    expected = coded["country"].fillna("").value_counts(normalize=True) * 100
    for country, n in got.value_counts().items():
        assert abs(n - expected[country]) < 1.0 + 1e-9
    about = dict(load_workbook(drawn.files[0])["About"].iter_rows(values_only=True))
    assert about["sample"].endswith("strata=country") and "random sample" in about["what"]


def test_prevalence_csv_from_a_verified_sample(demo_run, tmp_path) -> None:
    """A coder who agrees with the machine everywhere: the corrected shares stay by the machine's,
    with intervals; every code has an overall row and a row per group, in the documented columns."""
    _, run_dir = demo_run
    run = load_run(run_dir)
    sheet = export_run(run_dir, "csv", tmp_path / "v.csv", sample_random=120).files[0]
    _fill(sheet, lambda row: {"decision": "accept"})
    report = measure_prevalence(run_dir, [sheet], by=["country"])
    table = report.prevalence.table
    assert list(table.columns) == COLUMNS
    overall = table[table["breakdown"] == "overall"].set_index("code")
    codes = [e.id for e in run.codebook.entries] + ["unassigned"]
    assert sorted(overall.index) == sorted(codes)
    assert (overall["n_verified"] == 120).all() and (overall["n_segments"] == report.prevalence.table[
        "n_segments"].max()).all()
    assert ((overall["low"] <= overall["share"]) & (overall["share"] <= overall["high"])).all()
    # the machine is right on every verified segment: its labels carry the estimate
    assert ((overall["low"] <= overall["machine_share"]) & (overall["machine_share"] <= overall["high"])).all()
    assert (overall["share"] - overall["machine_share"]).abs().max() < 0.03 and overall["machine_weight"].min() > 0.7
    frequencies = pd.read_csv(run_dir / "theme_frequencies.csv")
    themes = frequencies[(frequencies["breakdown"] == "overall") & (frequencies["level"] == "theme")]
    assert dict(zip(themes["theme"], themes["share"], strict=True)) == pytest.approx(
        overall.loc[themes["theme"], "machine_share"].to_dict(), abs=1e-4)
    # participants: the machine's count as theme_frequencies gives it, and a verified lower bound
    assert dict(zip(themes["theme"], themes["participants"], strict=True)) == overall.loc[
        themes["theme"], "participants"].to_dict()
    assert (overall["group_participants"] == themes["group_participants"].iloc[0]).all()
    assert (overall["participants_verified"] <= overall["participants"]).all()
    assert overall["participants_verified"].sum() > 0
    assert set(table["breakdown"]) == {"overall", "country"}
    assert (overall["note"].fillna("") == "").all()  # 120 verified: nothing thin overall
    groups = table[table["breakdown"] == "country"]
    thin = groups[(groups["n_verified"] > 0) & (groups["n_verified"] < 10)]
    assert len(thin) and thin["note"].str.startswith(
        tuple(f"only {n} verified segment" for n in thin["n_verified"])).all()
    assert "(none)" not in set(groups["group"]) and "(news text)" in set(groups["group"])
    out = report.write(tmp_path / "prev")
    written = pd.read_csv(out / "prevalence.csv")
    assert list(written.columns) == COLUMNS and len(written) == len(table)


def test_a_coder_who_rejects_the_machine_moves_the_share(demo_run, tmp_path) -> None:
    _, run_dir = demo_run
    sheet = export_run(run_dir, "csv", tmp_path / "v.csv", sample_random=100, seed=3).files[0]
    _fill(sheet, lambda row: {"decision": "reject"} if row["proposed_code"] != "none" else {"decision": "accept"})
    overall = measure_prevalence(run_dir, [sheet]).prevalence.table.query("breakdown == 'overall'").set_index("code")
    assert overall.loc["unassigned", "share"] > 0.8 > overall.loc["unassigned", "machine_share"]
    assert overall.loc["unassigned", "low"] > overall.loc["unassigned", "machine_share"]
    themes = overall[(overall["level"] == "theme") & (overall.index != "unassigned")]
    assert (themes["participants_verified"] == 0).all() and themes["participants"].sum() > 0


def test_only_random_samples_feed_the_intervals(demo_run, tmp_path) -> None:
    _, run_dir = demo_run
    quotes = export_run(run_dir, "csv", tmp_path / "quotes.csv").files[0]
    _fill(quotes, lambda row: {"decision": "accept"})
    with pytest.raises(InputError, match="not a random sample"):
        measure_prevalence(run_dir, [quotes])


def test_a_plain_csv_of_segment_ids_and_codes_is_taken_on_the_users_word(demo_run, tmp_path) -> None:
    _, run_dir = demo_run
    coded = load_run(run_dir).segments.query("status == 'coded'").iloc[::20]
    plain = tmp_path / "mine.csv"
    pd.DataFrame({"segment_id": coded["segment_id"], "code": ["none", "salary-inadequacy"] * (len(coded) // 2)
                  + ["none"] * (len(coded) % 2)}).to_csv(plain, index=False)
    report = measure_prevalence(run_dir, [plain])
    assert len(report.verified.codes) == len(coded)
    assert any("taken as a uniform random sample" in n for n in report.verified.notes)


def test_cli_export_sample_then_prevalence(demo_run, tmp_path) -> None:
    _, run_dir = demo_run
    runner = CliRunner()
    sheet = tmp_path / "verify.csv"
    done = runner.invoke(app, ["export", str(run_dir), "--to", "csv", "--sample-random", "50", "--seed", "1",
                               "--out", str(sheet)])
    assert done.exit_code == 0 and "random sample of 50" in done.output, done.output
    unfilled = runner.invoke(app, ["prevalence", str(run_dir), "--verified", str(sheet)])
    assert unfilled.exit_code == 2 and "no verified rows" in unfilled.output
    _fill(sheet, lambda row: {"decision": "accept"})
    done = runner.invoke(app, ["prevalence", str(run_dir), "--verified", str(sheet), "--out", str(tmp_path / "p")])
    assert done.exit_code == 0, done.output
    assert "corrected" in done.output and "under ±5 points" in done.output
    assert (tmp_path / "p" / "prevalence.csv").is_file() and (tmp_path / "p" / "prevalence.json").is_file()


def test_report_marks_machine_shares_and_says_how_many_to_verify(demo_run) -> None:
    from narratives.prevalence.estimator import planned_sample_size

    _, run_dir = demo_run
    coded = load_run(run_dir).segments.query("status == 'coded'")
    need = planned_sample_size(coded["theme"].value_counts(normalize=True).to_numpy(), len(coded))
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "Share (machine labels, not verified)" in page
    assert f"--sample-random {need}</code>" in page and 200 < need < len(coded)


def test_uncertain_sample_is_for_learning_not_for_prevalence(demo_run, tmp_path) -> None:
    """The least sure segments, spread over codes and documents; `prevalence` refuses them."""
    _, run_dir = demo_run
    coded = load_run(run_dir).segments.query("status == 'coded'").set_index("segment_id")
    sheet = export_run(run_dir, "csv", tmp_path / "u.csv", sample_uncertain=40).files[0]
    with sheet.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 40 and "sample" not in rows[0]
    picked = coded.loc[[r["unit_id"] for r in rows]]
    assert picked["score"].median() < coded["score"].median()
    assert len({r["proposed_code"] for r in rows}) >= 8 and picked["doc_id"].value_counts().max() <= 2 * -(-40 // 18)
    _fill(sheet, lambda row: {"decision": "accept"})
    with pytest.raises(InputError, match="not a random sample"):
        measure_prevalence(run_dir, [sheet])


def test_run_with_a_verified_sample_shows_corrected_shares(tmp_path, repo_dir, cache_dir, interview_text) -> None:
    """A re-run given the verified sample of an earlier run of the same corpus: its summary and
    report show each theme's corrected share with its interval, and prevalence.csv is in the run."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "p2.txt").write_text(interview_text, encoding="utf-8")
    common = ["--codebook", str(repo_dir / "configs/codebooks/physician-migration.yaml"),
              "--set", f"cache={cache_dir}", "--set", "align.method=calibrated"]
    runner = CliRunner()
    first = runner.invoke(app, ["run", str(corpus), "--out", str(tmp_path / "run-1"), *common])
    assert first.exit_code == 0, first.output
    assert "not verified" in first.output
    sheet = export_run(tmp_path / "run-1", "csv", tmp_path / "verify.csv", sample_random=10).files[0]
    _fill(sheet, lambda row: {"decision": "accept"})
    second = runner.invoke(app, ["run", str(corpus), "--out", str(tmp_path / "run-2"), "--verified", str(sheet),
                                 *common])
    assert second.exit_code == 0, second.output
    assert "corrected" in second.output and "Shares are the machine's labels, not verified" not in second.output
    run = load_run(tmp_path / "run-2")
    assert run.prevalence is not None and list(run.prevalence.columns) == COLUMNS
    assert run.manifest["files"]["prevalence.csv"] and run.manifest["prevalence"]["run"] == str(tmp_path / "run-2")
    page = (tmp_path / "run-2" / "report.html").read_text(encoding="utf-8")
    assert "Share, corrected [95% interval]" in page and "Corrected shares combine" in page
    missing = runner.invoke(app, ["run", str(corpus), "--out", str(tmp_path / "run-3"), "--verified",
                                  str(tmp_path / "nope.csv"), *common])
    assert missing.exit_code == 2 and "nope.csv" in missing.output and not (tmp_path / "run-3").exists()
