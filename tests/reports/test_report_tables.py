"""The numbers behind the report's charts: participants, attribute groups, coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from narratives.cluster.layout import MAP_POINTS, map_sample
from narratives.loaders.participants import participant_keys
from narratives.models import Codebook, Theme
from narratives.reports.page import charts
from narratives.reports.page.tables import ReportTables, bucket, coverage, frequencies

CODEBOOK = Codebook(
    name="toy",
    entries=(
        Theme(id="pay", label="Pay", definition="Money."),
        Theme(id="pay-low", label="Low pay", definition="Too little.", parent="pay"),
        Theme(id="exams", label="Exams", definition="Licensing exams."),
        Theme(id="family", label="Family", definition="Family left behind."),
    ),
)


def _segments() -> pd.DataFrame:
    """Three interviews (P1–P3, one focus group with two speakers) and one news article."""
    rows = []

    def add(doc, kind, speaker, theme, subtheme=None, status="coded", **meta):
        rows.append({
            "doc_id": doc, "segment_id": f"{doc}:s{len(rows):04d}", "kind": kind, "speaker": speaker,
            "start": 0, "end": 1, "text": "x", "cluster": 0, "theme": theme, "subtheme": subtheme,
            "score": 0.9, "status": status, "role": "participant" if speaker else None, "source": f"{doc}.txt",
            **meta,
        })

    p1 = {"participant": "P1", "country": "UK", "years_abroad": "2", "date": "2025-01-02"}
    p2 = {"participant": "P2", "country": "UK", "years_abroad": "9", "date": "2025-01-03"}
    fg = {"participant": "FG", "country": "Canada", "years_abroad": "5", "date": "2025-01-04"}
    for _ in range(3):
        add("int-1", "transcript", "P1", "pay", "pay-low", **p1)
    add("int-1", "transcript", "I", "pay", status="interviewer", **p1)
    add("int-2", "transcript", "P2", "exams", **p2)
    add("int-2", "transcript", "P2", "unassigned", **p2)
    add("fg-1", "transcript", "A", "pay", **fg)
    add("fg-1", "transcript", "B", "pay", **fg)
    add("fg-1", "transcript", "B", "exams", **fg)
    add("news-1", "news", None, "pay", outlet="Dawn")
    add("news-1", "news", None, "exams", outlet="Dawn")
    frame = pd.DataFrame(rows)
    for column in ("participant", "country", "years_abroad", "date", "outlet"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def _tables(by: tuple[str, ...] = ()) -> ReportTables:
    empty_topics = pd.DataFrame(columns=["cluster", "size", "label", "keywords", "theme", "subtheme", "score",
                                         "candidate_new_theme", "representative", "representative_ids"])
    return ReportTables(CODEBOOK, _segments(), empty_topics, pd.DataFrame(columns=["segment_id", "cluster", "x", "y"]),
                        by=by)


def test_participants_are_the_manifest_participant_or_each_speaker_of_a_group_interview():
    coded = _segments()[lambda f: f["status"] == "coded"]
    keys = participant_keys(coded)
    assert set(keys.dropna()) == {"P1", "P2", "fg-1 · A", "fg-1 · B"}
    assert keys[coded["kind"] == "news"].isna().all()


def test_overall_frequencies_count_participants_mentioning_each_theme():
    rows = frequencies(_tables()).set_index(["theme", "subtheme"])
    assert rows.loc[("pay", ""), "segments"] == 6  # 3 (P1) + 2 (focus group) + 1 news; interviewer not coded
    assert rows.loc[("pay", ""), "participants"] == 3  # P1, A, B
    assert rows.loc[("exams", ""), "participants"] == 2  # P2, B
    assert rows.loc[("family", ""), "segments"] == 0
    assert rows.loc[("pay", "pay-low"), "participants"] == 1
    assert set(rows["group_participants"]) == {4}


def test_attributes_group_people_and_leave_out_identifiers_and_dates():
    tables = _tables()
    assert tables.attributes() == ["country", "years_abroad"]
    assert _tables(by=("outlet",)).attributes()[0] == "outlet"  # what report.by names always comes first


def test_breakdown_by_attribute_counts_only_segments_with_a_value():
    rows = frequencies(_tables(), "country")
    assert set(rows["group"]) == {"Canada", "UK"}  # news has no country: no "(none)" group
    uk = rows[(rows["group"] == "UK") & (rows["level"] == "theme")].set_index("theme")
    assert uk.loc["pay", "segments"] == 3 and uk.loc["pay", "group_segments"] == 5
    assert uk.loc["pay", "group_participants"] == 2


def test_numbers_with_many_values_are_bucketed_into_ordered_ranges():
    years = pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 20], dtype=float)
    groups = bucket(years)
    assert list(dict.fromkeys(groups)) == ["1–5", "6–8", "9–20"]  # tertiles, rounded to whole years
    assert groups[years == 5].item() == "1–5" and groups[years == 9].item() == "9–20"
    assert groups.notna().all()


def test_coverage_flags_codes_without_or_with_little_evidence():
    verdicts = coverage(_tables()).set_index("code")["verdict"].to_dict()
    assert verdicts["family"] == "none"
    assert verdicts["exams"] == "little"  # 3 segments, under 5
    assert "unassigned" not in verdicts


def test_breakdown_chart_shows_shares_within_each_group_labelled_with_counts():
    chart = charts.breakdown_chart(_tables(), "kind")
    assert chart is not None and not chart.heatmap
    assert [s.name for s in chart.series] == ["news (n=2)", "transcript (n=8)"]
    pay = chart.categories.index("Pay")
    assert chart.series[1].values[pay] == pytest.approx(62.5)  # 5 of 8 coded transcript segments
    assert chart.series[1].texts[pay] == "5"
    assert "3 of 4 participants" in chart.series[1].hovers[pay]


def test_theme_chart_puts_the_most_frequent_first_and_unassigned_last():
    chart = charts.theme_chart(_tables())
    assert chart.categories == ("Pay", "Exams", "Family", "unassigned")
    assert chart.series[0].values == (6.0, 3.0, 0.0, 1.0)


def test_map_sample_keeps_every_cluster_and_stays_under_the_limit():
    rng = np.random.default_rng(0)
    labels = np.concatenate([np.full(45_000, 0), np.full(4_990, 1), np.full(10, 2), np.full(200, -1)])
    rng.shuffle(labels)
    sample = map_sample(labels, seed=42)
    assert len(sample) <= MAP_POINTS
    assert set(labels[sample]) == {-1, 0, 1, 2}
    assert (labels[sample] == 2).sum() == 10  # a small cluster is kept whole
    assert np.array_equal(sample, map_sample(labels, seed=42))
    assert len(map_sample(labels[:500], seed=1)) == 500


def _study(groups: dict[str, tuple[int, int]]) -> ReportTables:
    """Interviews in ``groups``: country → (participants, segments each); all speak of pay, the
    first half of each group's participants also of exams."""
    rows = []
    for country, (people, each) in groups.items():
        for p in range(people):
            doc = f"{country}-{p}"
            for s in range(each):
                theme = "exams" if s == 0 and p < people / 2 else "pay"
                rows.append({
                    "doc_id": doc, "segment_id": f"{doc}:s{s:04d}", "kind": "transcript", "speaker": "P",
                    "start": 0, "end": 1, "text": "x", "cluster": 0, "theme": theme, "subtheme": None,
                    "score": 0.9, "status": "coded", "role": "participant", "source": f"{doc}.txt",
                    "participant": doc, "country": country,
                })
    empty_topics = pd.DataFrame(columns=["cluster", "size", "label", "keywords", "theme", "subtheme", "score",
                                         "candidate_new_theme", "representative", "representative_ids"])
    return ReportTables(CODEBOOK, pd.DataFrame(rows), empty_topics,
                        pd.DataFrame(columns=["segment_id", "cluster", "x", "y"]), by=("country",))


def test_groups_of_people_count_participants_first_and_small_groups_are_left_out() -> None:
    tables = _study({"Canada": (7, 4), "UK": (4, 10), "Oman": (2, 5)})
    chart = charts.breakdown_chart(tables, "country")
    assert chart is not None
    assert [s.name for s in chart.series] == ["Canada (7 participants, 28 segments)",
                                              "UK (4 participants, 40 segments)"]
    exams = [t.id for t in CODEBOOK.themes].index("exams")
    canada, uk = chart.series
    assert (canada.texts[exams], canada.values[exams]) == ("4 of 7", 57.1)  # people, not 4 of 28 sentences
    assert (uk.texts[exams], uk.values[exams]) == ("2 of 4", 50.0)
    assert "fewer than 3 participants: Oman" in chart.subtitle

    table = frequencies(tables, "country").set_index(["group", "theme"])
    assert table.loc[("Oman", "exams"), ["participants", "group_participants", "few_participants"]].tolist() == [
        1, 2, True]
    assert not table.loc[("Canada", "exams"), "few_participants"]


def test_theme_frequencies_csv_puts_participants_before_segments() -> None:
    from narratives.reports.frequencies import COLUMNS, theme_frequencies

    frame = theme_frequencies(_segments(), CODEBOOK, ["country"])
    assert list(frame.columns) == COLUMNS
    assert COLUMNS.index("participants") < COLUMNS.index("segments")
    pay = frame[(frame["breakdown"] == "overall") & (frame["theme"] == "pay") & (frame["level"] == "theme")].iloc[0]
    # P1, and A and B of the focus group (the manifest's FG names a group of two speakers, not one person)
    assert (pay["participants"], pay["group_participants"], pay["segments"]) == (3, 4, 6)  # + the news segment


def test_participants_confirmed_count_those_with_a_coder_checked_segment() -> None:
    from narratives.reports.frequencies import theme_frequencies

    tables = _study({"Canada": (4, 3)})
    segments = tables.segments.copy()
    segments["coded_by"] = "machine"
    # Canada-0 and Canada-1 mention exams; a coder accepted Canada-0's, and one of Canada-3's pay segments
    segments.loc[segments["segment_id"].isin(["Canada-0:s0000", "Canada-3:s0001", "Canada-3:s0002"]),
                 "coded_by"] = "coder"
    frame = theme_frequencies(segments, CODEBOOK, ["country"])
    overall = frame[(frame["breakdown"] == "overall") & (frame["level"] == "theme")].set_index("theme")
    assert overall.loc["exams", ["participants", "participants_confirmed"]].tolist() == [2, 1]
    assert overall.loc["pay", ["participants", "participants_confirmed"]].tolist() == [4, 1]
    without = theme_frequencies(tables.segments, CODEBOOK, [])
    assert (without["participants_confirmed"] == 0).all()
