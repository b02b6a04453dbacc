"""The tables behind the report's charts, computed from a run's segments alone.

Everything here is pandas over the columns of ``segments.csv``, so the page built right
after a run and the page rebuilt later by ``narratives report`` show the same numbers,
and each number can be traced to the rows of ``segments.csv`` it counts.

Counts are over *coded* segments, as in ``theme_frequencies.csv``. A *participant* is
one speaker of coded transcript speech: the manifest's ``participant`` value when a
transcript has one participant speaker, otherwise the speaker label within its document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from narratives.loaders.participants import participant_keys
from narratives.models import UNASSIGNED, Codebook
from narratives.reports.frequencies import COLUMNS as FREQUENCY_COLUMNS
from narratives.reports.frequencies import theme_frequencies

NOT_ATTRIBUTES = frozenset({
    "participant", "interviewer", "date", "title", "file", "path", "doc_id", "id", "source", "kind",
})
"""Manifest columns that identify a document or person rather than group participants."""
MAX_GROUPS_KEPT = 6
"""A numeric attribute with more distinct values than this is bucketed into ranges."""
NUMERIC_BUCKETS = 3
NEEDED = ["status", "theme", "subtheme", "doc_id", "speaker", "kind", "participant", "coded_by"]
"""The columns ``theme_frequencies`` reads (a narrow frame is many times faster to filter)."""
LITTLE_SEGMENTS = 5
"""A code with fewer coded segments than this has little evidence."""
LITTLE_PARTICIPANTS = 2
"""… or, in a corpus with transcripts, mentioned by fewer participants than this."""


@dataclass(frozen=True)
class ReportTables:
    """What every chart is drawn from: the codebook and three of a run's tables.

    ``segments`` has the columns of ``segments.csv`` (metadata columns as text),
    ``topics`` those of ``topics.csv`` and ``topic_map`` those of ``topic_map.csv``
    (empty when the run drew no map). ``by`` names columns always broken down by
    (the run's ``report.by``), besides the participant attributes found.
    """

    codebook: Codebook
    segments: pd.DataFrame
    topics: pd.DataFrame
    topic_map: pd.DataFrame
    by: tuple[str, ...] = ()
    _frequencies: dict[str | None, pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def coded(self) -> pd.DataFrame:
        """Coded segments with a ``participant`` column (``None`` outside transcripts)."""
        coded = self.segments[self.segments["status"] == "coded"].copy()
        coded["participant"] = participant_keys(coded)
        return coded

    def metadata_columns(self) -> list[str]:
        from narratives.reports.columns import SEGMENT_COLUMNS

        return [c for c in self.segments.columns if c not in SEGMENT_COLUMNS and c != "participant"]

    def attributes(self) -> list[str]:
        """Columns to break frequencies down by: ``by`` first, then participant attributes.

        A participant attribute is a manifest column with at least two values among the
        transcripts that groups people: numeric (bucketed when it has many values) or with
        fewer distinct values than transcripts carrying it. Identifiers and dates are not.
        """
        chosen = [c for c in self.by if c in self.segments.columns]
        transcripts = self.segments[self.segments["kind"] == "transcript"]
        per_doc = transcripts.drop_duplicates(["doc_id", "speaker"])  # one row per person: focus groups too
        for column in self.metadata_columns():
            if column in chosen or column.lower() in NOT_ATTRIBUTES:
                continue
            values = per_doc[column].dropna().astype(str)
            values = values[values.str.strip() != ""]
            distinct = values.nunique()
            if distinct < 2 or _looks_like_dates(values):
                continue
            if _numeric(values) is not None or distinct < len(values):
                chosen.append(column)
        return chosen

    def grouped(self, column: str) -> pd.Series:
        """``column`` of the coded segments as group names; numbers bucketed into ranges."""
        coded = self.coded
        values = coded[column].astype("string").str.strip().replace("", pd.NA)
        numbers = _numeric(values.dropna())
        if numbers is None or numbers.nunique() <= MAX_GROUPS_KEPT:
            return values
        return bucket(pd.to_numeric(values, errors="coerce"))


def bucket(numbers: pd.Series) -> pd.Series:
    """Numbers as ``NUMERIC_BUCKETS`` ranges of about equal size, e.g. ``"1–4"``, ``"5–8"``."""
    known = numbers.dropna()
    edges = np.unique(np.quantile(known, np.linspace(0, 1, NUMERIC_BUCKETS + 1)))
    integers = bool((known == known.round()).all())
    if integers:
        edges = np.unique(np.round(edges))
    labels = []
    for i in range(len(edges) - 1):
        lo = edges[i] if i == 0 or not integers else edges[i] + 1
        labels.append(f"{_fmt(lo)}–{_fmt(edges[i + 1])}")
    cut = pd.cut(numbers, bins=edges, labels=labels, include_lowest=True, duplicates="drop")
    return cut.astype("string")


def frequencies(tables: ReportTables, column: str | None = None) -> pd.DataFrame:
    """``theme_frequencies`` rows for one breakdown, with the participants in each group.

    ``column=None`` is the whole corpus (group ``all``); ``"kind"`` is by document kind;
    any other column is by that attribute over the segments that have a value for it.
    Adds ``group_participants`` (participants with coded speech in the group) and
    ``participants`` (those among them with at least one segment in the row's code).
    Computed once per breakdown and kept on ``tables``.
    """
    if column not in tables._frequencies:
        tables._frequencies[column] = _frequencies(tables, column)
    return tables._frequencies[column].copy()


def _frequencies(tables: ReportTables, column: str | None) -> pd.DataFrame:
    coded = tables.coded
    if column is None:
        frame, breakdown = coded.assign(_group="all"), "overall"
    else:
        groups = coded["kind"] if column == "kind" else tables.grouped(column)
        frame, breakdown = coded.assign(_group=groups).dropna(subset=["_group"]), column
    rows = []
    # the whole corpus always has its row per code, zeros included, even when nothing was coded
    for group in (["all"] if column is None else _ordered_groups(frame["_group"])):
        part = frame[frame["_group"] == group]
        table = theme_frequencies(part[[c for c in NEEDED if c in part.columns]], tables.codebook)
        table = table[table["breakdown"] == "overall"].reset_index(drop=True)
        table["breakdown"], table["group"] = breakdown, str(group)
        rows.append(table)
    if not rows:
        return pd.DataFrame(columns=FREQUENCY_COLUMNS)
    return pd.concat(rows, ignore_index=True)


def coverage(tables: ReportTables) -> pd.DataFrame:
    """Every code with its evidence and a verdict: ``none``, ``little`` or ``ok``."""
    overall = frequencies(tables)
    has_transcripts = bool((tables.coded["kind"] == "transcript").any())
    labels = {t.id: t.label for t in tables.codebook.entries}
    rows = []
    for row in overall.itertuples(index=False):
        if row.theme == UNASSIGNED:
            continue
        code = row.subtheme or row.theme
        if row.segments == 0:
            verdict = "none"
        elif row.segments < LITTLE_SEGMENTS or (has_transcripts and row.participants < LITTLE_PARTICIPANTS):
            verdict = "little"
        else:
            verdict = "ok"
        rows.append({
            "code": code, "label": labels.get(code, code), "level": row.level, "theme": row.theme,
            "segments": row.segments, "share": row.share, "documents": row.documents,
            "participants": row.participants, "verdict": verdict,
        })
    return pd.DataFrame(rows)


def _ordered_groups(groups: pd.Series) -> list[str]:
    """Range buckets in numeric order, other groups alphabetically."""
    values = sorted({str(g) for g in groups.dropna()})

    def key(value: str) -> tuple[float, str]:
        head = value.split("–")[0]
        try:
            return (float(head), value)
        except ValueError:
            return (float("inf"), value)

    return sorted(values, key=key)


def _numeric(values: pd.Series) -> pd.Series | None:
    numbers = pd.to_numeric(values, errors="coerce")
    if values.empty or numbers.isna().any():
        return None
    return numbers


def _looks_like_dates(values: pd.Series) -> bool:
    return bool(len(values)) and bool(values.str.fullmatch(r"\d{4}-\d{2}(-\d{2})?.*").all())


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"
