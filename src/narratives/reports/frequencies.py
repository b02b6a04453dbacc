"""Theme and subtheme frequencies, overall and broken down by kind or metadata.

Counts are over *coded* segments (participant speech of at least ``min_words`` words;
interviewer turns and fragments are excluded), so every share is traceable to the rows
of ``segments.csv`` with the same theme. Within each group, theme-level shares add up
to 1 (``unassigned`` included); subtheme rows give the share of the group's coded
segments that carry that subtheme. In a breakdown by an attribute, text without a value is
its own group: participants without one (``(no country)``) apart from papers' and news'
text (``(paper text)``), never pooled.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from narratives.loaders.participants import attribute_groups, participant_keys
from narratives.models import UNASSIGNED, Codebook

COLUMNS = [
    "breakdown", "group", "level", "theme", "subtheme",
    "participants", "group_participants", "segments", "group_segments", "share",
    "documents", "speakers", "few_participants", "participants_confirmed",
]
"""Participants first, as papers count: ``participants`` of ``group_participants`` in the group
have at least one coded segment in the row's code; then ``segments`` of ``group_segments``.
``participants_confirmed`` of them have at least one such segment whose code a coder gave or
accepted (``coded_by = coder``, from ``--examples``): mentions that rest on a checked quote."""

FEW_PARTICIPANTS = 3
"""A group of transcripts with fewer participants than this describes individuals, not a
group: ``few_participants`` is true and the report does not draw it as a share."""

_NONE = (0, 0, 0, 0, 0)


def _counts(frame: pd.DataFrame, keys: list[str]) -> dict[object, tuple[int, int, int, int, int]]:
    """Segments, documents, distinct (document, speaker) pairs, participants, and participants with a
    coder-confirmed segment, per value of ``keys``."""
    if frame.empty:
        return {}
    grouped = frame.groupby(keys, sort=False)
    segments = grouped.size()
    documents = grouped["doc_id"].nunique()
    participants = grouped["_participant"].nunique()
    spoken = frame[frame["speaker"].notna()]
    pairs = spoken["doc_id"].astype(str) + "\0" + spoken["speaker"].astype(str)
    speakers = pairs.groupby([spoken[k] for k in keys], sort=False).nunique()
    checked = frame[frame["coded_by"] == "coder"] if "coded_by" in frame.columns else frame.iloc[:0]
    confirmed = checked.groupby(keys, sort=False)["_participant"].nunique()
    return {
        key: (int(n), int(documents[key]), int(speakers.get(key, 0)), int(participants[key]),
              int(confirmed.get(key, 0)))
        for key, n in segments.items()
    }


def _rows_for_group(frame: pd.DataFrame, codebook: Codebook, breakdown: str, group: str) -> list[dict]:
    total = len(frame)
    people = int(frame["_participant"].nunique()) if total else 0
    themes = _counts(frame, ["theme"])
    subthemes = _counts(frame, ["theme", "subtheme"])
    rows = []
    for theme_id in [t.id for t in codebook.themes] + [UNASSIGNED]:
        rows.append(_row(breakdown, group, "theme", theme_id, "", themes.get(theme_id, _NONE), total, people))
        if theme_id == UNASSIGNED:
            continue
        for sub in codebook.subthemes(theme_id):
            counts = subthemes.get((theme_id, sub.id), _NONE)
            rows.append(_row(breakdown, group, "subtheme", theme_id, sub.id, counts, total, people))
    return rows


def _row(breakdown: str, group: str, level: str, theme: str, subtheme: str,
         counts: tuple[int, int, int, int, int], total: int, people: int) -> dict:
    segments, documents, speakers, participants, confirmed = counts
    return {
        "breakdown": breakdown,
        "group": group,
        "level": level,
        "theme": theme,
        "subtheme": subtheme,
        "participants": participants,
        "group_participants": people,
        "segments": segments,
        "group_segments": total,
        "share": round(segments / total, 4) if total else 0.0,
        "documents": documents,
        "speakers": speakers,
        "few_participants": 0 < people < FEW_PARTICIPANTS,
        "participants_confirmed": confirmed,
    }


def theme_frequencies(segments: pd.DataFrame, codebook: Codebook, by: Sequence[str] = ()) -> pd.DataFrame:
    """A long table of counts and shares.

    Args:
        segments: the segments frame (``RunResult.segments_frame()``) with columns
            ``status``, ``theme``, ``subtheme``, ``doc_id``, ``speaker``, ``kind`` and any
            metadata columns named in ``by``.
        codebook: gives the themes and subthemes to report (zero counts included).
        by: metadata columns to break down by, besides ``overall`` and ``kind``.

    Returns:
        One row per (breakdown, group, theme[, subtheme]) with the columns in ``COLUMNS``.
    """
    coded = segments[segments["status"] == "coded"]
    coded = coded.assign(_participant=participant_keys(coded))
    rows = _rows_for_group(coded, codebook, "overall", "all")
    for column in ("kind", *by):
        if column not in coded.columns:
            raise KeyError(column)
        values = coded[column].astype(str) if column == "kind" else attribute_groups(coded, column)
        for value in sorted(set(values)):
            rows.extend(_rows_for_group(coded[values == value], codebook, column, value))
    return pd.DataFrame(rows, columns=COLUMNS)
