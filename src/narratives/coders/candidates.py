"""The units coders judge: a run's candidate quotes, or every segment with a theme."""

from __future__ import annotations

from typing import Literal

import pandas as pd

from narratives.coders.records import Candidate
from narratives.errors import InputError
from narratives.reports.quotes import context_around
from narratives.reports.run_dir import SavedRun

__all__ = ["CONTEXT_CHARS", "Units", "candidates"]

CONTEXT_CHARS = 200
"""Characters of surrounding text shown to coders on each side of a quote."""

Units = Literal["quotes", "assigned", "coded"]


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _segment_attributes(run: SavedRun) -> dict[str, dict[str, str]]:
    """Each segment's metadata as ``segments.csv`` has it: the document's, with the speaker's own
    participant attributes over it (a focus group's speakers differ)."""
    from narratives.reports.columns import SEGMENT_COLUMNS

    columns = [c for c in run.segments.columns if c not in SEGMENT_COLUMNS]
    if not columns:
        return {}
    values = run.segments[["segment_id", *columns]].to_dict("records")
    return {str(r["segment_id"]): {c: _text(r[c]) for c in columns if _text(r[c])} for r in values}


def candidates(run: SavedRun, units: Units = "quotes") -> list[Candidate]:
    """Candidates in a stable order (document, then offset).

    ``"quotes"``: the run's candidate quotes (``quotes.csv``: the top quotes per theme);
    ``"assigned"``: every coded segment with a theme (``segments.csv``), for a full check;
    ``"coded"``: every coded segment, those the machine left unassigned included (proposed
    code ``none``): the population a random verification sample is drawn from.
    """
    if units == "quotes":
        frame = run.quotes
    elif units == "assigned":
        seg = run.segments
        frame = seg[(seg["status"] == "coded") & seg["theme"].notna() & (seg["theme"] != "unassigned")]
    elif units == "coded":
        frame = run.segments[run.segments["status"] == "coded"]
    else:
        raise InputError(f"unknown units '{units}'; use 'quotes', 'assigned' or 'coded'")
    attributes = _segment_attributes(run)
    out: dict[str, Candidate] = {}
    for row in frame.to_dict("records"):
        doc_id = str(row["doc_id"])
        doc = run.documents.get(doc_id)
        if doc is None:
            raise InputError(
                f"{run.path}: segment {row['segment_id']} names document '{doc_id}', not in documents.jsonl"
            )
        start, end = int(row["start"]), int(row["end"])
        unit_id = str(row["segment_id"])
        if unit_id in out:  # a segment quoted under two themes: keep its first (highest-ranked) proposal
            continue
        before, after = context_around(doc.text, start, end, CONTEXT_CHARS)
        out[unit_id] = Candidate(
            unit_id=unit_id,
            doc_id=doc_id,
            source=str(row["source"]),
            speaker=_text(row.get("speaker")),
            start=start,
            end=end,
            text=doc.text[start:end],
            context_before=before,
            context_after=after,
            theme=str(row["theme"]),
            subtheme=_text(row.get("subtheme")),
            score=float(row["score"]),
            metadata={**doc.metadata, **attributes.get(unit_id, {})},
            nearest=_text(row.get("best_subtheme")) or _text(row.get("best_theme")),
            coded_by=_text(row.get("coded_by")) or "machine",
        )
    return sorted(out.values(), key=lambda c: (c.doc_id, c.start, c.unit_id))
