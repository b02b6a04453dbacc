"""The notebook API: typed results and DataFrames, same numbers as the files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import narratives
from narratives.errors import ConfigError, InputError

pytestmark = pytest.mark.slow


def test_frequencies_by_metadata_column(demo_run) -> None:
    result, out = demo_run
    table = result.theme_frequencies(by="country")
    assert set(table["breakdown"]) == {"overall", "kind", "country"}
    countries = set(table.loc[table["breakdown"] == "country", "group"])
    assert {"United Kingdom", "Canada", "Saudi Arabia", "United Arab Emirates"} <= countries
    written = pd.read_csv(out / "theme_frequencies.csv", keep_default_na=False)
    overall = table[table["breakdown"] == "overall"].reset_index(drop=True)
    assert list(overall["segments"]) == list(written[written["breakdown"] == "overall"]["segments"])


def test_unknown_breakdown_column_names_the_known_ones(demo_run) -> None:
    result, _ = demo_run
    with pytest.raises(ConfigError, match="country"):
        result.theme_frequencies(by="contry")


def test_quotes_for_one_theme(demo_run) -> None:
    result, _ = demo_run
    quotes = result.quotes("moral-residue")
    assert 1 <= len(quotes) <= result.config.report.quotes_per_theme
    assert set(quotes["theme"]) == {"moral-residue"}
    assert quotes["score"].is_monotonic_decreasing or quotes["rank"].tolist() == list(range(1, len(quotes) + 1))
    with pytest.raises(ConfigError, match="moral-residue"):
        result.quotes("no-such-theme")


def test_run_without_output_keeps_results_in_memory(tmp_path: Path, cache_dir: Path, repo_dir: Path) -> None:
    doc = tmp_path / "p1.txt"
    doc.write_text(
        "Interviewer: Why did you leave?\n\n"
        "P1: My salary could not pay my children's school fees after twelve years of training. "
        "We had no gloves and no working monitor on the ward at night.\n\n"
        "Interviewer: And now?\n\n"
        "P1: Here in Manchester my consultant knows my name and asks what I think.\n",
        encoding="utf-8",
    )
    config = narratives.RunConfig.model_validate({"cache": str(cache_dir)})
    codebook = repo_dir / "configs" / "codebooks" / "physician-migration.yaml"
    result = narratives.run([doc], codebook, config=config)
    frame = result.segments_frame()
    assert list(frame["status"]) == ["interviewer", "coded", "coded", "interviewer", "coded"]
    assert list(frame.loc[frame["status"] == "coded", "theme"]) == [
        "economic-disenfranchisement", "institutional-neglect", "dignity-and-recognition"
    ]
    assert any("too few" in note for note in result.notes)


def test_no_readable_documents_is_a_clear_error(tmp_path: Path, repo_dir: Path) -> None:
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(InputError, match=r"empty\.txt"):
        narratives.run([tmp_path], repo_dir / "configs" / "codebooks" / "physician-migration.yaml")
