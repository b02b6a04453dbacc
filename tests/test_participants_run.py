"""A study as it is kept: transcripts, one focus group, and a paper's participants table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from narratives.cli import app

pytestmark = pytest.mark.slow

TABLE = "participant,gender,country\nP1,female,UK\nP2,male,Canada\nP3,female,Canada\nP7,male,UK\n"


def test_run_with_a_participants_table_counts_people_per_group(tmp_path: Path, repo_dir: Path,
                                                               cache_dir: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "int-01.txt").write_text(
        "Interviewer: Why did you leave?\n\nP1: The salary did not cover the rent in Lahore, so I left.\n\n"
        "Interviewer: And now?\n\nP1: Here the rota is fixed and the consultants ask for my opinion.\n")
    (corpus / "focus-group.txt").write_text(
        "Moderator: What would bring you back?\n\nP2: A training programme that is fair and paid on time.\n\n"
        "P3: My mother, and a hospital where the night shift has a senior doctor on call.\n\n"
        "P2: Nothing while the promotions go to whoever knows the principal of the college.\n")
    (tmp_path / "table1.csv").write_text(TABLE)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "run", str(corpus), "--participants", str(tmp_path / "table1.csv"), "--by", "country",
        "--codebook", str(repo_dir / "configs/codebooks/physician-migration.yaml"), "--out", str(out),
        "--set", f"cache={cache_dir}", "--set", "align.threshold=0",
    ])
    assert result.exit_code == 0, result.output
    assert "3 of 4 participants matched 3 speaker(s)" in result.output and "P7" in result.output

    segments = pd.read_csv(out / "segments.csv", dtype=str, keep_default_na=False)
    coded = segments[segments["status"] == "coded"]
    assert dict(zip(coded["speaker"], coded["country"], strict=True)) == {"P1": "UK", "P2": "Canada",
                                                                           "P3": "Canada"}
    assert set(segments.loc[segments["speaker"] == "Moderator", "country"]) == {""}

    frequencies = pd.read_csv(out / "theme_frequencies.csv")
    canada = frequencies[(frequencies["breakdown"] == "country") & (frequencies["group"] == "Canada")]
    assert set(canada["group_participants"]) == {2} and set(canada["group_segments"]) == {3}
    assert canada["few_participants"].all()
    assert "Themes (participants, then coded segments)" in result.output

    # coders see each speaker's own attributes, also within the focus group
    from narratives.coders.candidates import candidates
    from narratives.reports.run_dir import load_run

    shown = {(c.speaker, c.metadata.get("country")) for c in candidates(load_run(out), "assigned")}
    assert shown == {("P1", "UK"), ("P2", "Canada"), ("P3", "Canada")}
