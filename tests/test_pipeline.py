"""The whole job on the demo corpus: every report present, traceable and repeatable."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import narratives
from narratives.errors import OutputExistsError
from narratives.reports import REPORT_FILES

pytestmark = pytest.mark.slow

MODEL_SHA = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
SEGMENT_HEAD = ["doc_id", "segment_id", "kind", "speaker", "start", "end", "text", "cluster", "theme",
                "subtheme", "score"]


def _read(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / name, dtype={"speaker": str}, keep_default_na=False)


def test_every_report_is_written(demo_run) -> None:
    _, out = demo_run
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_FILES)
    segments = _read(out, "segments.csv")
    assert list(segments.columns[: len(SEGMENT_HEAD)]) == SEGMENT_HEAD
    assert {"country", "gender", "specialty"} <= set(segments.columns)


def test_segment_offsets_point_into_the_documents(demo_run) -> None:
    result, out = demo_run
    texts = {d.doc_id: d.text for d in result.corpus.documents}
    segments = _read(out, "segments.csv")
    for row in segments.itertuples():
        assert texts[row.doc_id][row.start : row.end] == row.text
    quotes = _read(out, "quotes.csv")
    for row in quotes.itertuples():
        assert texts[row.doc_id][row.start : row.end] == row.text


def test_interviewer_turns_are_kept_but_not_coded(demo_run) -> None:
    _, out = demo_run
    segments = _read(out, "segments.csv")
    interviewer = segments[segments["status"] == "interviewer"]
    assert len(interviewer) > 20
    assert (interviewer["theme"] == "").all()
    transcripts = segments[(segments["kind"] == "transcript") & (segments["status"] == "coded")]
    assert transcripts["speaker"].ne("").all(), "every coded transcript segment needs a speaker"


def test_every_theme_is_found_and_quoted(demo_run) -> None:
    result, out = demo_run
    segments = _read(out, "segments.csv")
    coded = segments[segments["status"] == "coded"]
    themes = {t.id for t in result.codebook.themes}
    assert themes <= set(coded["theme"])
    assert "unassigned" in set(coded["theme"]), "off-codebook talk must be left unassigned"
    assert set(coded.loc[coded["theme"] == "unassigned", "subtheme"]) == {""}
    quotes = _read(out, "quotes.csv")
    assert themes == set(quotes["theme"])
    assert (quotes.groupby("theme").size() <= result.config.report.quotes_per_theme).all()
    assert not quotes.duplicated(["doc_id", "start"]).any()


def test_frequencies_are_traceable_to_segments(demo_run) -> None:
    _, out = demo_run
    segments = _read(out, "segments.csv")
    freq = _read(out, "theme_frequencies.csv")
    coded = segments[segments["status"] == "coded"]
    overall = freq[(freq["breakdown"] == "overall") & (freq["level"] == "theme")]
    for row in overall.itertuples():
        assert row.segments == (coded["theme"] == row.theme).sum()
    assert abs(overall["share"].sum() - 1.0) < 1e-3
    assert {"overall", "kind", "country", "gender", "specialty"} == set(freq["breakdown"])
    uk = freq[(freq["breakdown"] == "country") & (freq["group"] == "United Kingdom") & (freq["level"] == "theme")]
    assert uk["group_segments"].iloc[0] == (coded["country"] == "United Kingdom").sum()


def test_topics_are_labelled_and_aligned(demo_run) -> None:
    _, out = demo_run
    topics = _read(out, "topics.csv")
    clusters = topics[topics["cluster"] >= 0]
    assert len(clusters) >= 4
    assert not clusters["label"].str.match(r"^\d+_").any()
    assert not clusters["label"].str.contains(r"\b(?:the|and|of|in)\b").any()
    assert clusters["candidate_new_theme"].isin([True, False]).all()


def test_run_manifest_makes_the_run_traceable(demo_run) -> None:
    result, out = demo_run
    manifest = json.loads((out / "run_manifest.json").read_text())
    assert manifest["seed"] == result.config.seed == manifest["config"]["seed"]
    assert manifest["model"]["sha256"] == MODEL_SHA
    assert len(manifest["codebook"]["sha256"]) == 64
    assert len(manifest["documents"]) == len(result.corpus.documents) >= 17
    assert all(len(d["sha256"]) == 64 for d in manifest["documents"])
    assert set(manifest["timings_seconds"]) >= {"load", "segment", "embed", "cluster", "align", "report"}
    assert manifest["packages"]["bertopic"] and manifest["packages"]["torch"].startswith("2.13.0")


def test_second_run_embeds_nothing_and_gives_the_same_reports(demo_run, tmp_path: Path, cache_dir: Path,
                                                               repo_dir: Path) -> None:
    result, out = demo_run
    config = narratives.load_config(repo_dir / "configs" / "demo.yaml", [f"cache={cache_dir}"])
    again = narratives.run(
        [repo_dir / "corpora" / "demo"], repo_dir / "configs" / "codebooks" / "physician-migration.yaml",
        manifest=repo_dir / "corpora" / "demo" / "manifest.csv", config=config, out=tmp_path / "again",
    )
    assert again.cache["embedded"] == 0
    assert again.cache["from_cache"] == result.counts()["coded_segments"]
    for name in ("segments.csv", "theme_frequencies.csv", "quotes.csv", "topics.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes(), name


def test_existing_output_is_not_overwritten_without_force(demo_run, tmp_path: Path, repo_dir: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    with pytest.raises(OutputExistsError, match="--force"):
        narratives.run([repo_dir / "corpora" / "demo"],
                       repo_dir / "configs" / "codebooks" / "physician-migration.yaml", out=out)
    assert (out / "notes.txt").read_text() == "my notes"
