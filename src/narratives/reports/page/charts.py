"""Chart specifications: what each chart shows, independent of how it is drawn.

Each builder turns :class:`~narratives.reports.page.tables.ReportTables` into a small
record (:class:`BarChart` or :class:`MapChart`). The interactive page and notebooks draw
them with plotly (:mod:`.interactive`), papers get the same charts from matplotlib
(:mod:`.static`), so the numbers in both are the same by construction.
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass, field

import pandas as pd

from narratives.loaders.participants import listing
from narratives.models import UNASSIGNED, Codebook
from narratives.reports.frequencies import FEW_PARTICIPANTS
from narratives.reports.page.tables import ReportTables, frequencies

THEME_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#8C6D31", "#7F3C8D",
                 "#11A579", "#3969AC", "#F2B701", "#E73F74")
"""Okabe–Ito's colour-blind-safe colours first, then more distinct ones for long codebooks."""
UNASSIGNED_COLOUR = "#9A9A9A"
OUTLIER_COLOUR = "#C8C8C8"
CANDIDATE_COLOUR = "#222222"
GROUP_COLOURS = ("#1B9E77", "#D95F02", "#7570B3", "#E7298A")
MAX_BAR_GROUPS = len(GROUP_COLOURS)
"""A breakdown with more groups than this is drawn as a heatmap, not grouped bars."""
CALLOUT_OFFSETS = ((40, -40), (-40, 40), (40, 40), (-40, -40), (0, -60), (0, 60))
"""Where each candidate new theme's label sits from its cluster on the map (in points), in
turn, so labels of nearby clusters do not overlap."""
HOVER_WIDTH = 80
EXAMPLES_PER_CANDIDATE = 3


@dataclass(frozen=True)
class Series:
    """One set of bars: a value, the text drawn on the bar and the hover text, per category."""

    name: str
    values: tuple[float, ...]
    texts: tuple[str, ...]
    hovers: tuple[str, ...]
    colours: tuple[str, ...]


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one row per category (top to bottom), one :class:`Series` per group."""

    key: str
    """Names the chart's element on the page and its files (``figures/{key}.png``)."""
    title: str
    subtitle: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    value_title: str

    @property
    def heatmap(self) -> bool:
        """Drawn as a heatmap (categories × groups) because there are too many groups for bars."""
        return len(self.series) > MAX_BAR_GROUPS


@dataclass(frozen=True)
class Callout:
    """A candidate new theme: a cluster that matched no code, with what it is about."""

    cluster: int
    label: str
    size: int
    keywords: tuple[str, ...]
    examples: tuple[tuple[str, str], ...]
    """``(segment_id, text)`` of the sentences nearest the cluster's centre."""
    x: float
    y: float

    @property
    def short_label(self) -> str:
        """Cluster number and first two keywords, for the map."""
        words = self.keywords[:2] or (self.label,)
        return f"{self.cluster}: {' · '.join(words)}"


@dataclass(frozen=True, eq=False)
class MapChart:
    """The topic map: ``points`` has columns ``x, y, group, colour, hover, segment_id, cluster``."""

    key: str
    title: str
    subtitle: str
    points: pd.DataFrame
    groups: tuple[tuple[str, str], ...]
    """Legend entries ``(name, colour)`` in drawing order."""
    callouts: tuple[Callout, ...] = field(default=())


def theme_colours(codebook: Codebook) -> dict[str, str]:
    """A fixed colour per theme id (codebook order), grey for ``unassigned``."""
    colours = {t.id: THEME_COLOURS[i % len(THEME_COLOURS)] for i, t in enumerate(codebook.themes)}
    colours[UNASSIGNED] = UNASSIGNED_COLOUR
    return colours


def theme_chart(tables: ReportTables) -> BarChart:
    """Coded segments per theme, most frequent first, ``unassigned`` last."""
    rows = frequencies(tables)
    rows = rows[rows["level"] == "theme"]
    coded = rows[rows["theme"] != UNASSIGNED].sort_values("segments", ascending=False, kind="stable")
    ordered = pd.concat([coded, rows[rows["theme"] == UNASSIGNED]])
    total = int(ordered["group_segments"].iloc[0]) if len(ordered) else 0
    return BarChart(
        key="themes",
        title="Theme frequencies",
        subtitle=f"Coded segments per theme (of {total:,}); share of all coded segments",
        categories=tuple(_label(tables.codebook, t) for t in ordered["theme"]),
        series=(_count_series("all", ordered, tables.codebook, colour_by_theme=True),),
        value_title="coded segments",
    )


def subtheme_chart(tables: ReportTables) -> BarChart | None:
    """Coded segments per subtheme, grouped under their theme in codebook order; ``None`` when the
    codebook has no subthemes (an empty chart would only be an empty box on the page)."""
    rows = frequencies(tables)
    rows = rows[rows["level"] == "subtheme"]
    if rows.empty:
        return None
    order = {t.id: i for i, t in enumerate(tables.codebook.themes)}
    rows = rows.assign(_order=rows["theme"].map(order)).sort_values(
        ["_order", "segments"], ascending=[True, False], kind="stable"
    )
    total = int(rows["group_segments"].iloc[0])
    return BarChart(
        key="subthemes",
        title="Subtheme frequencies",
        subtitle=f"Coded segments per subtheme (of {total:,}), coloured by theme",
        categories=tuple(_label(tables.codebook, s) for s in rows["subtheme"]),
        series=(_count_series("all", rows, tables.codebook, colour_by_theme=True),),
        value_title="coded segments",
    )


def participant_chart(tables: ReportTables) -> BarChart | None:
    """How many interview participants mention each theme; ``None`` without transcripts."""
    rows = frequencies(tables, "kind")
    rows = rows[(rows["group"] == "transcript") & (rows["level"] == "theme") & (rows["theme"] != UNASSIGNED)]
    if rows.empty or int(rows["group_participants"].iloc[0]) == 0:
        return None
    rows = rows.sort_values("participants", ascending=False, kind="stable")
    of = int(rows["group_participants"].iloc[0])
    colours = theme_colours(tables.codebook)
    return BarChart(
        key="participants",
        title="Participants mentioning each theme",
        subtitle=f"Interview participants with at least one coded segment in the theme (of {of})",
        categories=tuple(_label(tables.codebook, t) for t in rows["theme"]),
        series=(Series(
            name="participants",
            values=tuple(float(v) for v in rows["participants"]),
            texts=tuple(f"{int(v)} of {of}" for v in rows["participants"]),
            hovers=tuple(
                f"{html.escape(_label(tables.codebook, r.theme))}<br>{r.participants} of {of} participants"
                f"<br>{r.segments:,} segments in transcripts"
                for r in rows.itertuples(index=False)
            ),
            colours=tuple(colours[t] for t in rows["theme"]),
        ),),
        value_title="participants",
    )


def breakdown_chart(tables: ReportTables, column: str) -> BarChart | None:
    """Each theme within each group of ``column``: the share of the group's participants who
    mention it, when the groups are groups of people, else the share of its coded segments.

    Groups of fewer than :data:`FEW_PARTICIPANTS` participants are not drawn alone (two people
    are not "100%" of anything): together they are one "other" group when that has enough
    people, else they are left out and named in the subtitle."""
    rows = frequencies(tables, column)
    if rows.empty:
        return None
    rows = rows[rows["level"] == "theme"]
    # groups of people (a participant attribute): count people; kinds of document, or groups that
    # hold news and papers, count segments
    people = column != "kind" and bool((rows["group_participants"] > 0).all())
    few = sorted({str(g) for g, n in zip(rows["group"], rows["group_participants"], strict=True)
                  if people and 0 < n < FEW_PARTICIPANTS})
    themes = [t.id for t in tables.codebook.themes] + ([] if people else [UNASSIGNED])
    groups = [g for g in dict.fromkeys(rows["group"]) if g not in few]
    pooled = rows[rows["group"].isin(few)].groupby("theme", sort=False)[
        ["participants", "group_participants", "segments", "group_segments"]].sum()
    if few and len(pooled) and int(pooled["group_participants"].iloc[0]) >= FEW_PARTICIPANTS:
        # small groups together, as papers report them ("other countries"), when that makes a group
        other = f"other: {listing(few, 3)}"
        pooled = pooled.assign(group=other, share=pooled["segments"] / pooled["group_segments"].clip(lower=1))
        rows = pd.concat([rows[~rows["group"].isin(few)], pooled.reset_index()], ignore_index=True)
        groups.append(other)
        few = []
    if len(groups) < 2:
        return None
    series = []
    for i, group in enumerate(groups):
        part = rows[rows["group"] == group].set_index("theme").loc[themes]
        n = int(part["group_segments"].iloc[0])
        of = int(part["group_participants"].iloc[0])
        if people:
            values = tuple(round(100 * int(c) / of, 1) if of else 0.0 for c in part["participants"])
            texts = tuple(f"{int(c)} of {of}" for c in part["participants"])
            name = f"{group} ({of} participants, {n:,} segments)"
        else:
            values = tuple(round(100 * float(v), 1) for v in part["share"])
            texts = tuple(f"{int(c):,}" for c in part["segments"])
            name = f"{group} (n={n:,})"
        series.append(Series(
            name=name,
            values=values,
            texts=texts,
            hovers=tuple(
                f"{html.escape(column)} = {html.escape(str(group))}<br>{html.escape(_label(tables.codebook, t))}"
                + (f"<br>{int(r.participants)} of {of} participants" if of else "")
                + f"<br>{int(r.segments):,} of {n:,} segments ({100 * float(r.share):.1f}%)"
                for t, r in zip(themes, part.itertuples(), strict=True)
            ),
            colours=(GROUP_COLOURS[i % len(GROUP_COLOURS)],) * len(themes),
        ))
    name = "document kind" if column == "kind" else column.replace("_", " ")
    what = "participants who mention each theme" if people else "coded segments"
    left_out = (f". Left out, fewer than {FEW_PARTICIPANTS} participants: {', '.join(few)}" if few else "")
    pooled_note = f". Groups of fewer than {FEW_PARTICIPANTS} participants are pooled as 'other'" if any(
        str(g).startswith("other: ") for g in groups) else ""
    return BarChart(
        key=f"by-{_slug(column)}",
        title=f"Themes by {name}",
        subtitle=(
            f"Share of each group's {what} (%), with counts in brackets; columns: {name}{left_out}{pooled_note}"
            if len(series) > MAX_BAR_GROUPS else
            f"Share of each group's {what} (%); bars are labelled with counts. Groups: {name}{left_out}{pooled_note}"
        ),
        categories=tuple(_label(tables.codebook, t) for t in themes),
        series=tuple(series),
        value_title=f"% of the group's {'participants' if people else 'coded segments'}",
    )


def topic_map_chart(tables: ReportTables) -> MapChart | None:
    """The sampled segments in 2-D, coloured by their cluster's theme; ``None`` without a map."""
    if tables.topic_map.empty:
        return None
    segments = tables.segments.set_index("segment_id")
    topics = tables.topics.set_index("cluster")
    colours = theme_colours(tables.codebook)
    points = tables.topic_map.copy()
    points["cluster"] = points["cluster"].astype(int)
    info = topics.reindex(points["cluster"])
    candidate = info["candidate_new_theme"].fillna(False).astype(bool).to_numpy()
    theme = info["theme"].fillna("").astype(str).to_numpy()
    outlier = (points["cluster"] < 0).to_numpy()
    # what _label gives for a theme id, as one dict lookup per point rather than a codebook scan
    theme_labels = {t.id: t.label for t in tables.codebook.themes} | {UNASSIGNED: "unassigned"}
    points["group"] = [
        "outliers (no cluster)" if o else "candidate new theme" if c else theme_labels.get(t, t)
        for o, c, t in zip(outlier, candidate, theme, strict=True)
    ]
    points["colour"] = [
        OUTLIER_COLOUR if o else CANDIDATE_COLOUR if c else colours.get(t, UNASSIGNED_COLOUR)
        for o, c, t in zip(outlier, candidate, theme, strict=True)
    ]
    texts = segments["text"].reindex(points["segment_id"]).fillna("").astype(str).to_numpy()
    labels = info["label"].fillna("").astype(str).to_numpy()
    points["hover"] = [
        f"<b>{html.escape(label)}</b> (cluster {cluster})<br>{html.escape(group)}<br>"
        + "<br>".join(html.escape(line) for line in textwrap.wrap(text, HOVER_WIDTH)[:4])
        + f"<br><i>{html.escape(sid)}</i>"
        for label, cluster, group, text, sid in zip(
            labels, points["cluster"], points["group"], texts, points["segment_id"], strict=True
        )
    ]
    legend = [(theme_labels[t.id], colours[t.id]) for t in tables.codebook.themes]
    legend += [("candidate new theme", CANDIDATE_COLOUR), ("outliers (no cluster)", OUTLIER_COLOUR)]
    present = set(points["group"])
    n_all = int((tables.segments["status"] == "coded").sum())
    return MapChart(
        key="topic-map",
        title="Topic map",
        subtitle=(
            f"{len(points):,} of {n_all:,} coded segments"
            + (" (a sample stratified by cluster)" if len(points) < n_all else "")
            + ", placed by similarity and coloured by the theme their cluster aligned to"
        ),
        points=points,
        groups=tuple((name, colour) for name, colour in legend if name in present),
        callouts=_callouts(tables, points, segments),
    )


def _callouts(tables: ReportTables, points: pd.DataFrame, segments: pd.DataFrame) -> tuple[Callout, ...]:
    candidates = tables.topics[tables.topics["candidate_new_theme"].astype(str).str.lower() == "true"]
    callouts = []
    for topic in candidates.sort_values("size", ascending=False, kind="stable").itertuples(index=False):
        cluster = int(topic.cluster)
        members = points[points["cluster"] == cluster]
        ids = [i for i in str(getattr(topic, "representative_ids", "") or "").split("; ") if i]
        examples = tuple(
            (sid, str(segments.at[sid, "text"])) for sid in ids[:EXAMPLES_PER_CANDIDATE] if sid in segments.index
        )
        if not examples and str(topic.representative or ""):
            examples = (("", str(topic.representative)),)
        callouts.append(Callout(
            cluster=cluster, label=str(topic.label), size=int(topic.size),
            keywords=tuple(k for k in str(topic.keywords or "").split("; ") if k),
            examples=examples,
            x=float(members["x"].median()) if len(members) else 0.0,
            y=float(members["y"].median()) if len(members) else 0.0,
        ))
    return tuple(callouts)


def _count_series(name: str, rows: pd.DataFrame, codebook: Codebook, *, colour_by_theme: bool) -> Series:
    colours = theme_colours(codebook)
    hovers = []
    for r in rows.itertuples(index=False):
        code = r.subtheme or r.theme
        parts = [f"<b>{html.escape(_label(codebook, code))}</b>",
                 f"{r.segments:,} of {r.group_segments:,} coded segments ({100 * r.share:.1f}%)",
                 f"in {r.documents} documents"]
        if r.group_participants:
            parts.append(f"{r.participants} of {r.group_participants} participants")
        hovers.append("<br>".join(parts))
    return Series(
        name=name,
        values=tuple(float(v) for v in rows["segments"]),
        texts=tuple(f"{int(r.segments):,} ({100 * r.share:.1f}%)" for r in rows.itertuples(index=False)),
        hovers=tuple(hovers),
        colours=tuple(colours.get(t, UNASSIGNED_COLOUR) for t in rows["theme"]) if colour_by_theme else (),
    )


def _label(codebook: Codebook, code: str) -> str:
    if code == UNASSIGNED:
        return "unassigned"
    for entry in codebook.entries:
        if entry.id == code:
            return entry.label
    return code


def _slug(text: str) -> str:
    """A figure's file name from a column name; unlike the codebook's slugs it keeps letters of
    every script, so two columns named in Urdu do not both become ``by-``."""
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
