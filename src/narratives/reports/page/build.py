"""``report.html``: one self-contained page to read, check and cite a run from.

The page is built from the run directory alone (:func:`~narratives.reports.run_dir.load_run`),
so ``narratives run`` and a later ``narratives report RUN_DIR`` write the same page. All
scripts, styles and data are inline: it opens from a USB stick with no network and asks
for nothing. It stays light at any corpus size: charts are aggregates, the topic map
holds at most 3,000 sampled points, and each theme lists its candidate quotes plus at
most :data:`MORE_PER_THEME` further segments, a page at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from narratives.models import UNASSIGNED, Document
from narratives.reports.page import charts
from narratives.reports.page.tables import ReportTables, coverage, frequencies
from narratives.reports.quotes import context_around
from narratives.reports.run_dir import SavedRun, load_run

REPORT_FILE = "report.html"
FIGURES_DIR = "figures"
MORE_PER_THEME = 45
"""Further segments listed per theme after its candidate quotes, highest score first."""
QUOTES_PER_PAGE = 10
STAGES = ("load", "segment", "embed", "reduce", "cluster", "align", "report")


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` wrote."""

    page: Path
    figures: tuple[Path, ...]


def write_report(run: SavedRun | str | Path, *, figures: bool = True) -> ReportFiles:
    """Write ``report.html`` (and ``figures/*.png|svg`` unless ``figures=False``) into the run folder.

    Both are replaced whole: the page through a temporary file, the figures folder by a
    complete new one, so an interrupted rebuild leaves the previous report in place.
    """
    from narratives.reports.atomic import staged_directory, write_text_atomic
    from narratives.reports.page.static import save_figures

    saved = run if isinstance(run, SavedRun) else load_run(run)
    tables = saved.report_tables()
    chart_list = build_charts(tables)
    written: list[Path] = []
    if figures:
        with staged_directory(saved.path / FIGURES_DIR) as staging:
            written = [saved.path / FIGURES_DIR / p.name for p in save_figures(chart_list, staging)]
    page = saved.path / REPORT_FILE
    write_text_atomic(page, render_page(saved, tables, chart_list, figures=figures))
    return ReportFiles(page=page, figures=tuple(written))


def build_charts(tables: ReportTables) -> list[charts.BarChart | charts.MapChart]:
    """Every chart of the page, in page order (charts with nothing to show are left out)."""
    found: list[charts.BarChart | charts.MapChart | None] = [
        charts.theme_chart(tables),
        charts.participant_chart(tables),
        charts.subtheme_chart(tables),
        charts.breakdown_chart(tables, "kind"),
        *(charts.breakdown_chart(tables, column) for column in tables.attributes()),
        charts.topic_map_chart(tables),
    ]
    return [c for c in found if c is not None]


def render_page(
    run: SavedRun, tables: ReportTables, chart_list: list[charts.BarChart | charts.MapChart], *, figures: bool
) -> str:
    """The page's HTML."""
    from jinja2 import Environment, PackageLoader, select_autoescape
    from plotly.offline import get_plotlyjs

    from narratives.reports.page.interactive import CONFIG, bar_figure, map_figure

    env = Environment(loader=PackageLoader("narratives.reports.page", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    figures_json = _script_json({
        c.key: json.loads((map_figure(c) if isinstance(c, charts.MapChart) else bar_figure(c)).to_json())
        for c in chart_list
    })
    bar_charts = [c for c in chart_list if isinstance(c, charts.BarChart)]
    topic_map = next((c for c in chart_list if isinstance(c, charts.MapChart)), None)
    context = {
        "glance": glance(run, tables),
        "charts": {c.key: c for c in bar_charts},
        "breakdowns": [c for c in bar_charts if c.key.startswith("by-")],
        "topic_map": topic_map,
        "figures_json": figures_json,
        "figure_files": figures,
        "figures_dir": FIGURES_DIR,
        "themes": theme_sections(run, tables),
        "coverage": coverage(tables).to_dict("records"),
        "colours": charts.theme_colours(tables.codebook),
        "quotes_per_page": QUOTES_PER_PAGE,
        "plotly_js": get_plotlyjs(),
        "plotly_config": json.dumps(CONFIG),
    }
    return env.get_template("report.html.j2").render(**context)


def _corrected(run: SavedRun) -> dict[str, dict[str, Any]]:
    """Theme (and ``unassigned``) → its corrected share and interval, from ``prevalence.csv``."""
    from narratives.prevalence.table import PPI, overall_themes

    if run.prevalence is None:
        return {}
    rows = overall_themes(run.prevalence)
    return {str(r.code): {"share": float(r.share), "low": float(r.low), "high": float(r.high),
                          "n": int(r.n_verified)} for r in rows[rows["method"] == PPI].itertuples()}


def _verify_n(tables: ReportTables) -> int:
    """Random segments to verify for every theme's share to be known within ±5 points."""
    from narratives.prevalence.estimator import planned_sample_size

    coded = tables.coded
    if coded.empty:
        return 0
    return planned_sample_size(coded["theme"].value_counts(normalize=True).to_numpy(), len(coded))


def glance(run: SavedRun, tables: ReportTables) -> dict[str, Any]:
    """The run at a glance: corpus, codebook, model, settings, timings, skipped files."""
    manifest = run.manifest
    coded = tables.coded
    kinds = pd.Series([d.kind for d in run.documents.values()]).value_counts()
    model = manifest.get("model", {})
    codebook = manifest.get("codebook", {})
    timings = manifest.get("timings_seconds", {})
    counts = manifest.get("counts", {})
    unassigned = int((coded["theme"] == UNASSIGNED).sum())
    not_coded = tables.segments.loc[tables.segments["status"] != "coded", "status"].value_counts()
    return {
        "created": manifest.get("created", ""),
        "seed": manifest.get("seed"),
        "documents_by_kind": [(k, int(v)) for k, v in kinds.items()],
        "documents": len(run.documents),
        "segments": len(tables.segments),
        "coded": len(coded),
        "assigned": len(coded) - unassigned,
        "unassigned": unassigned,
        "unassigned_share": unassigned / len(coded) if len(coded) else 0.0,
        "verify_n": _verify_n(tables),
        "corrected": _corrected(run),
        "prevalence": manifest.get("prevalence"),
        "not_coded": [(str(k), int(v)) for k, v in not_coded.items()],
        "speakers": int(tables.segments.dropna(subset=["speaker"])[["doc_id", "speaker"]].drop_duplicates().shape[0]),
        "participants": int(coded["participant"].nunique()),
        "clusters": counts.get("clusters"),
        "candidate_new_themes": counts.get("candidate_new_themes"),
        "codebook_name": run.codebook.name,
        "codebook_path": codebook.get("path", ""),
        "codebook_sha": run.codebook_sha256,
        "themes": len(run.codebook.themes),
        "subthemes": len(run.codebook.entries) - len(run.codebook.themes),
        "model_name": model.get("name", "unknown"),
        "model_sha": str(model.get("sha256", "")),
        "model_source": model.get("package") or model.get("source", ""),
        "version": manifest.get("packages", {}).get("narratives", ""),
        "inputs": manifest.get("inputs", []),
        "corpus_manifest": manifest.get("corpus_manifest"),
        "timings": [(s, timings[s]) for s in STAGES if s in timings],
        "peak_mb": max((float(v) for v in manifest.get("peak_memory_mb", {}).values()), default=None),
        "total_seconds": round(sum(float(v) for v in timings.values()), 1),
        "skipped": manifest.get("skipped_files", []),
        "warnings": manifest.get("warnings", []),
        "notes": manifest.get("notes", []),
        "examples": manifest.get("examples", {}),
        "aligner": manifest.get("aligner") or {},
        "changes": manifest.get("changes"),
        "config": manifest.get("config", {}),
    }


def theme_sections(run: SavedRun, tables: ReportTables) -> list[dict[str, Any]]:
    """Per theme: definition, subthemes with counts, candidate quotes, then more segments."""
    context_chars = int(run.manifest.get("config", {}).get("report", {}).get("context_chars", 160))
    attributes = tables.attributes()
    coded = tables.coded
    captions = _captions(tables)
    counts = frequencies(tables).set_index(["theme", "subtheme"])  # the numbers the charts show
    labels = {t.id: t.label for t in run.codebook.entries}
    sections = []
    for theme in run.codebook.themes:
        in_theme = coded[coded["theme"] == theme.id]
        quotes = run.quotes[run.quotes["theme"] == theme.id].sort_values("rank", kind="stable")
        cards = [
            _card(row, run.documents.get(str(row["doc_id"])), labels, attributes, context_chars, candidate=True,
                  caption=captions.get(str(row["segment_id"]), ""))
            for _, row in quotes.iterrows()
        ]
        chosen = set(quotes["segment_id"])
        rest = in_theme[~in_theme["segment_id"].isin(chosen)].sort_values(
            ["score", "segment_id"], ascending=[False, True], kind="stable"
        ).head(MORE_PER_THEME)
        more = [
            _card(row, run.documents.get(str(row["doc_id"])), labels, attributes, context_chars, candidate=False,
                  caption=captions.get(str(row["segment_id"]), ""))
            for _, row in rest.iterrows()
        ]
        subthemes = [
            {"label": s.label, "definition": s.definition, "segments": int(counts.at[(theme.id, s.id), "segments"])}
            for s in run.codebook.subthemes(theme.id)
        ]
        row = counts.loc[(theme.id, "")]
        sections.append({
            "id": theme.id, "label": theme.label, "definition": theme.definition,
            "include": theme.include, "exclude": theme.exclude,
            "segments": int(row["segments"]), "share": float(row["share"]),
            "participants": int(row["participants"]), "documents": int(row["documents"]),
            "confirmed": int(row.get("participants_confirmed", 0)),
            "subthemes": subthemes, "quotes": cards, "more": more,
        })
    return sections


def _captions(tables: ReportTables) -> dict[str, str]:
    """Each coded segment's caption, from its own (speaker's) attributes in ``segments.csv``."""
    from narratives.reports.quotes import caption

    coded = tables.coded
    columns = [*tables.metadata_columns(), *(["participant"] if "participant" in tables.segments.columns else [])]
    out = {}
    for row in coded[["segment_id", "kind", "speaker", *columns]].to_dict("records"):
        values = {c: str(row[c]) for c in columns if not pd.isna(row[c])}
        speaker = None if pd.isna(row["speaker"]) else str(row["speaker"])
        out[str(row["segment_id"])] = caption(values, kind=str(row["kind"]), speaker=speaker)
    return out


def _card(
    row: pd.Series, document: Document | None, labels: dict[str, str], attributes: Iterable[str],
    context_chars: int, *, candidate: bool, caption: str = "",
) -> dict[str, Any]:
    """One quote as the page shows it: highlighted in context, with where it comes from."""
    start, end = int(row["start"]), int(row["end"])
    text = str(row["text"])
    if document is not None:
        before, after = context_around(document.text, start, end, context_chars)
        metadata = document.metadata
        source = document.source
    else:
        before, after, metadata, source = "", "", {}, str(row.get("source", ""))
    speaker = row.get("speaker")
    speaker = None if pd.isna(speaker) else str(speaker)
    participant = metadata.get("participant")
    if speaker and participant and participant != speaker:
        speaker = f"{speaker} ({participant})"  # e.g. "Speaker 2 (P4)": the label as written, and who it is
    segment_id = str(row["segment_id"])
    subtheme = row.get("subtheme")
    subtheme = None if pd.isna(subtheme) else str(subtheme)
    file_name = Path(source).name
    where = f"{file_name} [{start}:{end}]"
    return {
        "anchor": anchor(segment_id),
        "segment_id": segment_id,
        "text": text,
        "before": before,
        "after": after,
        "speaker": speaker,
        "attributes": [(a, metadata[a]) for a in attributes if metadata.get(a)],
        "source": source,
        "where": where,
        "score": float(row["score"]),
        "subtheme": labels.get(subtheme, subtheme) if subtheme else None,
        "candidate": candidate,
        "rank": int(row["rank"]) if candidate and "rank" in row else None,
        "caption": caption,
        "citation": f"{speaker + ', ' if speaker else ''}{file_name}, characters {start}–{end} ({segment_id})",
    }


def anchor(segment_id: str) -> str:
    """The quote's id on the page (``#q-int-p03-s0061``): letters, digits and hyphens only."""
    return "q-" + "".join(c if c.isalnum() else "-" for c in segment_id)


def _script_json(value: Any) -> str:
    """JSON safe inside ``<script>``: no ``</script>`` or ``<!--`` can end the block early."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
