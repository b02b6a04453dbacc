"""The result of one run: typed records in, pandas DataFrames out for notebooks and reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from narratives.config import RunConfig
from narratives.errors import ConfigError
from narratives.models import UNASSIGNED, Assignment, Codebook, Corpus, Example, Quote, Segment, Topic
from narratives.reports.changes import RunChanges
from narratives.reports.columns import QUOTE_COLUMNS, SEGMENT_COLUMNS, TOPIC_COLUMNS, TOPIC_MAP_COLUMNS
from narratives.reports.frequencies import theme_frequencies
from narratives.reports.page.plots import Plots
from narratives.reports.page.tables import ReportTables
from narratives.reports.quotes import select_quotes
from narratives.types import Vectors


@dataclass
class RunResult(Plots):
    """Everything one run produced, in memory.

    ``status[i]`` says whether segment ``i`` was coded (``"coded"``) or why not
    (``"interviewer"``, ``"outside-turn"`` for a transcript's header, ``"too-short"``).
    ``rows[i]`` is segment ``i``'s row in ``embeddings`` (``-1`` when it was not coded,
    hence not embedded).
    """

    config: RunConfig
    corpus: Corpus
    codebook: Codebook
    segments: tuple[Segment, ...]
    status: tuple[str, ...]
    rows: NDArray[np.int64]
    embeddings: Vectors
    clusters: NDArray[np.int64]
    assignments: tuple[Assignment | None, ...]
    topics: tuple[Topic, ...]
    topic_assignments: dict[int, Assignment]
    map_segments: NDArray[np.intp] = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    """Segments drawn on the topic map (a stratified sample of the coded ones)."""
    map_xy: NDArray[np.float32] = field(default_factory=lambda: np.zeros((0, 2), dtype=np.float32))
    """2-D map coordinates of ``map_segments``."""
    timings: dict[str, float] = field(default_factory=dict)
    """Wall seconds per stage (load, segment, embed, reduce, cluster, align, report)."""
    peak_memory_mb: dict[str, float] = field(default_factory=dict)
    """Peak resident memory per stage, MB (:mod:`narratives.stages`)."""
    backend: dict[str, object] = field(default_factory=lambda: {"name": "local"})
    """Where the parallel stages ran (:mod:`narratives.backends`)."""
    notes: list[str] = field(default_factory=list)
    model: dict[str, Any] = field(default_factory=dict)
    cache: dict[str, int] = field(default_factory=dict)
    examples: tuple[Example, ...] = ()
    """Coded examples the aligner learned from (empty for a codebook-only run)."""
    examples_files: tuple[str, ...] = ()
    """The files the examples were read from, in order (empty: given in Python)."""
    aligner: dict[str, Any] = field(default_factory=dict)
    """How themes were assigned: the method, whether scores are calibrated and what they mean."""
    coders: dict[str, Any] = field(default_factory=dict)
    """The coders' decisions used: counts and every disagreement (:mod:`narratives.align.decisions`)."""
    changes: RunChanges | None = None
    """Themes against the run this one replaced, or ``--compare`` (:mod:`narratives.reports.changes`)."""
    prevalence: pd.DataFrame | None = None
    """``prevalence.csv`` as written with the reports, when a verified sample was given (``run --verified``)."""

    # -- tables -----------------------------------------------------------------
    def segments_frame(self) -> pd.DataFrame:
        """One row per segment, with document metadata columns appended."""
        documents = {d.doc_id: d for d in self.corpus.documents}
        meta_keys = self.corpus.metadata_columns()
        records = []
        for seg, status, cluster, assignment in zip(
            self.segments, self.status, self.clusters, self.assignments, strict=True
        ):
            doc = documents[seg.doc_id]
            coded = status == "coded"
            record = {
                "doc_id": seg.doc_id,
                "segment_id": seg.segment_id,
                "kind": doc.kind,
                "speaker": seg.speaker,
                "start": seg.start,
                "end": seg.end,
                "text": seg.text,
                "cluster": int(cluster) if coded else None,
                "theme": assignment.theme if assignment else None,
                "subtheme": assignment.subtheme if assignment else None,
                "score": round(assignment.score, 4) if assignment else None,
                "status": status,
                "role": seg.role,
                "best_theme": assignment.best_theme if assignment else None,
                "best_subtheme": assignment.best_subtheme if assignment else None,
                "also": "; ".join(f"{t}:{s:.3f}" for t, s in assignment.also) if assignment else None,
                "coded_by": assignment.coded_by if assignment else None,
                "source": doc.source,
            }
            metadata = self.corpus.speaker_metadata(doc, seg.speaker)
            for key in meta_keys:
                record[key] = metadata.get(key)
            records.append(record)
        frame = pd.DataFrame(records, columns=[*SEGMENT_COLUMNS, *meta_keys])
        frame["cluster"] = frame["cluster"].astype("Int64")
        return frame

    def metadata_columns(self) -> list[str]:
        """Metadata columns present on at least one document (from the manifest) or participant."""
        return self.corpus.metadata_columns()

    def theme_frequencies(self, by: str | Sequence[str] | None = None) -> pd.DataFrame:
        """Counts and shares per theme and subtheme; ``by`` adds metadata breakdowns.

        Example: ``result.theme_frequencies(by="country")``.
        """
        columns = [by] if isinstance(by, str) else list(by or self.config.report.by)
        known = self.metadata_columns()
        for column in columns:
            if column not in known:
                raise ConfigError(
                    f"cannot break frequencies down by '{column}': no document has that metadata "
                    f"column. Columns in the manifest: {', '.join(known) or 'none (no --manifest given)'}"
                )
        return theme_frequencies(self.segments_frame(), self.codebook, columns)

    def topics_frame(self) -> pd.DataFrame:
        """One row per cluster, with its aligned theme; candidates for new themes flagged."""
        by_id = {s.segment_id: s for s in self.segments}
        records = []
        for topic in self.topics:
            assignment = self.topic_assignments.get(topic.cluster)
            rep = by_id[topic.representative_ids[0]].text if topic.representative_ids else ""
            records.append({
                "cluster": topic.cluster,
                "size": topic.size,
                "label": topic.label,
                "keywords": "; ".join(topic.keywords),
                "theme": assignment.theme if assignment else None,
                "subtheme": assignment.subtheme if assignment else None,
                "score": round(assignment.score, 4) if assignment else None,
                "candidate_new_theme": bool(assignment and assignment.theme == UNASSIGNED),
                "representative": rep,
                "representative_ids": "; ".join(topic.representative_ids),
            })
        return pd.DataFrame(records, columns=TOPIC_COLUMNS)

    def topic_map_frame(self) -> pd.DataFrame:
        """The topic map's points: ``segment_id, cluster, x, y`` (a sample of coded segments)."""
        records = [
            {"segment_id": self.segments[i].segment_id, "cluster": int(self.clusters[i]),
             "x": round(float(x), 4), "y": round(float(y), 4)}
            for i, (x, y) in zip(self.map_segments.tolist(), self.map_xy.tolist(), strict=True)
        ]
        return pd.DataFrame(records, columns=TOPIC_MAP_COLUMNS)

    def quote_records(self, theme: str | None = None) -> list[Quote]:
        """Top candidate quotes per theme (or for one theme id) as :class:`Quote` records."""
        themes = [t.id for t in self.codebook.themes]
        if theme is not None:
            if theme not in themes:
                raise ConfigError(f"no theme '{theme}' in codebook {self.codebook.name}; themes: {', '.join(themes)}")
            themes = [theme]
        documents = {d.doc_id: d for d in self.corpus.documents}
        report = self.config.report
        quotes: list[Quote] = []
        for theme_id in themes:
            candidates = [
                i for i, a in enumerate(self.assignments)
                if a is not None and a.theme == theme_id and self.status[i] == "coded"
            ]
            quotes.extend(select_quotes(
                theme_id, candidates, self.segments, self.assignments, self.embeddings, self.rows,
                documents, k=report.quotes_per_theme, diversity=report.diversity,
                context_chars=report.context_chars,
            ))
        return quotes

    def quotes(self, theme: str | None = None) -> pd.DataFrame:
        """Top candidate quotes as a DataFrame, e.g. ``result.quotes("moral-residue")``."""
        from narratives.reports.quotes import caption

        documents = {d.doc_id: d for d in self.corpus.documents}
        records = [
            {**{c: getattr(q, c) for c in QUOTE_COLUMNS if c not in ("kind", "caption")},
             "kind": documents[q.doc_id].kind, "score": round(q.score, 4),
             "caption": caption(self.corpus.speaker_metadata(documents[q.doc_id], q.speaker),
                                kind=documents[q.doc_id].kind, speaker=q.speaker)}
            for q in self.quote_records(theme)
        ]
        return pd.DataFrame(records, columns=QUOTE_COLUMNS)

    def report_tables(self) -> ReportTables:
        """The tables the report's charts and the ``plot_*`` methods are drawn from."""
        return ReportTables(
            codebook=self.codebook, segments=self.segments_frame(), topics=self.topics_frame(),
            topic_map=self.topic_map_frame(), by=self.config.report.by,
        )

    # -- figures ----------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Headline counts for the summary and the manifest."""
        coded = [a for a, s in zip(self.assignments, self.status, strict=True) if s == "coded" and a]
        return {
            "documents": len(self.corpus.documents),
            "skipped_files": len(self.corpus.skipped),
            "segments": len(self.segments),
            "coded_segments": len(coded),
            "assigned_segments": sum(a.theme != UNASSIGNED for a in coded),
            "unassigned_segments": sum(a.theme == UNASSIGNED for a in coded),
            "clusters": sum(t.cluster >= 0 for t in self.topics),
            "candidate_new_themes": sum(
                a.theme == UNASSIGNED for c, a in self.topic_assignments.items() if c >= 0
            ),
        }
