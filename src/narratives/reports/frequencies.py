"""Theme and subtheme frequencies, overall and broken down by kind or metadata.

Counts are over *coded* segments (participant speech of at least ``min_words`` words;
interviewer turns and fragments are excluded), so every share is traceable to the rows
of ``segments.csv`` with the same theme. Within each group, theme-level shares add up
to 1 (``unassigned`` included); subtheme rows give the share of the group's coded
segments that carry that subtheme.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from narratives.models import UNASSIGNED, Codebook

COLUMNS = [
    "breakdown", "group", "level", "theme", "subtheme",
    "segments", "share", "documents", "speakers", "group_segments",
]


_NONE = (0, 0, 0)


def _counts(frame: pd.DataFrame, keys: list[str]) -> dict[object, tuple[int, int, int]]:
    """Segments, documents and distinct (document, speaker) pairs for each value of ``keys``."""
    if frame.empty:
        return {}
    grouped = frame.groupby(keys, sort=False)
    segments = grouped.size()
    documents = grouped["doc_id"].nunique()
    spoken = frame[frame["speaker"].notna()]
    pairs = spoken["doc_id"].astype(str) + "\0" + spoken["speaker"].astype(str)
    speakers = pairs.groupby([spoken[k] for k in keys], sort=False).nunique()
    return {key: (int(n), int(documents[key]), int(speakers.get(key, 0))) for key, n in segments.items()}


def _rows_for_group(frame: pd.DataFrame, codebook: Codebook, breakdown: str, group: str) -> list[dict]:
    total = len(frame)
    themes = _counts(frame, ["theme"])
    subthemes = _counts(frame, ["theme", "subtheme"])
    rows = []
    for theme_id in [t.id for t in codebook.themes] + [UNASSIGNED]:
        rows.append(_row(breakdown, group, "theme", theme_id, "", themes.get(theme_id, _NONE), total))
        if theme_id == UNASSIGNED:
            continue
        for sub in codebook.subthemes(theme_id):
            counts = subthemes.get((theme_id, sub.id), _NONE)
            rows.append(_row(breakdown, group, "subtheme", theme_id, sub.id, counts, total))
    return rows


def _row(breakdown: str, group: str, level: str, theme: str, subtheme: str,
         counts: tuple[int, int, int], total: int) -> dict:
    segments, documents, speakers = counts
    return {
        "breakdown": breakdown,
        "group": group,
        "level": level,
        "theme": theme,
        "subtheme": subtheme,
        "segments": segments,
        "share": round(segments / total, 4) if total else 0.0,
        "documents": documents,
        "speakers": speakers,
        "group_segments": total,
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
    rows = _rows_for_group(coded, codebook, "overall", "all")
    for column in ("kind", *by):
        if column not in coded.columns:
            raise KeyError(column)
        values = coded[column].fillna("").astype(str)
        for value in sorted(set(values)):
            rows.extend(_rows_for_group(coded[values == value], codebook, column, value or "(none)"))
    return pd.DataFrame(rows, columns=COLUMNS)
