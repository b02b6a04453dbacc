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


def _rows_for_group(frame: pd.DataFrame, codebook: Codebook, breakdown: str, group: str) -> list[dict]:
    total = len(frame)
    rows = []
    theme_ids = [t.id for t in codebook.themes] + [UNASSIGNED]
    for theme_id in theme_ids:
        in_theme = frame[frame["theme"] == theme_id]
        rows.append(_row(breakdown, group, "theme", theme_id, "", in_theme, total))
        if theme_id == UNASSIGNED:
            continue
        for sub in codebook.subthemes(theme_id):
            rows.append(_row(breakdown, group, "subtheme", theme_id, sub.id,
                             in_theme[in_theme["subtheme"] == sub.id], total))
    return rows


def _row(breakdown: str, group: str, level: str, theme: str, subtheme: str,
         part: pd.DataFrame, total: int) -> dict:
    speakers = part.dropna(subset=["speaker"])
    return {
        "breakdown": breakdown,
        "group": group,
        "level": level,
        "theme": theme,
        "subtheme": subtheme,
        "segments": len(part),
        "share": round(len(part) / total, 4) if total else 0.0,
        "documents": part["doc_id"].nunique(),
        "speakers": len(set(zip(speakers["doc_id"], speakers["speaker"], strict=True))),
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
