"""The columns of a run's tables, in order: what ``segments.csv``, ``topics.csv``,
``topic_map.csv`` and ``quotes.csv`` hold before the documents' own metadata columns."""

from __future__ import annotations

__all__ = ["QUOTE_COLUMNS", "SEGMENT_COLUMNS", "TOPIC_COLUMNS", "TOPIC_MAP_COLUMNS"]

SEGMENT_COLUMNS = [
    "doc_id", "segment_id", "kind", "speaker", "start", "end", "text", "cluster", "theme",
    "subtheme", "score", "status", "role", "best_theme", "best_subtheme", "also", "coded_by", "source",
]
TOPIC_COLUMNS = [
    "cluster", "size", "label", "keywords", "theme", "subtheme", "score", "candidate_new_theme",
    "representative", "representative_ids",
]
TOPIC_MAP_COLUMNS = ["segment_id", "cluster", "x", "y"]
QUOTE_COLUMNS = [
    "theme", "subtheme", "rank", "score", "doc_id", "kind", "source", "speaker", "start", "end", "text",
    "context_before", "context_after", "segment_id", "caption",
]
