"""report.html and its figures, as written by `narratives run` on the demo corpus."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest
from markupsafe import escape

from narratives.errors import ConfigError
from narratives.reports.page.build import MORE_PER_THEME, anchor, build_charts, write_report
from narratives.reports.run_dir import load_run
from narratives.reports.writer import write_reports

pytestmark = pytest.mark.slow

EXTERNAL = re.compile(r"""(?:src|href|action|data)\s*=\s*["']?\s*(?:https?:|ftp:)?//""", re.IGNORECASE)


def test_run_writes_a_self_contained_page(demo_run):
    _, out = demo_run
    page = (out / "report.html").read_text(encoding="utf-8")
    markup = re.sub(r"<script>.*?</script>", "", page, flags=re.DOTALL)  # plotly.js holds URL strings it never loads
    assert EXTERNAL.search(markup) is None, "the page must not load anything from a network address"
    assert "<link" not in markup and "@import" not in markup and "url(" not in markup
    assert re.search(r"<script[^>]+src=", page) is None  # every script is inline
    assert "Plotly.newPlot" in page and "plotly.js v" in page  # plotly.js itself is inline
    assert 'href="figures/themes.png"' in page  # figures for papers sit beside it
    assert "<th>Scores</th><td><b>zero-shot: not calibrated" in page  # no coded examples: scores say so


def test_page_shows_every_theme_with_its_quotes_highlighted_and_anchored(demo_run):
    result, out = demo_run
    page = (out / "report.html").read_text(encoding="utf-8")
    for theme in result.codebook.themes:
        assert f'id="theme-{theme.id}"' in page
        assert escape(theme.definition) in page
    quotes = result.quotes()
    assert len(quotes) > 0
    for quote in quotes.itertuples():
        assert f'id="{anchor(quote.segment_id)}"' in page
        assert f"<mark>{escape(quote.text)}</mark>" in page
        assert f"[{quote.start}:{quote.end}]" in page


def test_figures_can_be_left_for_later(demo_run, repo_dir: Path, tmp_path: Path):
    result, _ = demo_run
    report = result.config.report.model_copy(update={"figures": False})
    quick = dataclasses.replace(result, config=result.config.model_copy(update={"report": report}))
    corpus = repo_dir / "corpora" / "demo"
    timings = dict(quick.timings)
    written = write_reports(quick, tmp_path / "run", inputs=[corpus], manifest=corpus / "manifest.csv")
    out = written.path
    assert quick.timings == timings and "report" in written.timings  # the writer leaves the result as it was
    page = (out / "report.html").read_text(encoding="utf-8")
    assert not (out / "figures").exists()
    assert "figures/themes.png" not in page and "Plotly.newPlot" in page
    assert write_report(out).figures  # `narratives report` draws them afterwards


def test_report_rebuild_is_identical_and_loads_no_model(demo_run, tmp_path: Path):
    _, out = demo_run
    run = tmp_path / "run"
    shutil.copytree(out, run)
    (run / "report.html").unlink()
    shutil.rmtree(run / "figures")
    code = (
        "import sys; from narratives.cli import main; sys.argv = ['narratives', 'report', sys.argv[1]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'umap', 'hdbscan', 'bertopic') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(run)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stdout, "rebuilding the report must not load the model or refit anything"
    assert "wrote" in done.stdout and "report.html" in done.stdout
    assert (run / "report.html").read_bytes() == (out / "report.html").read_bytes()
    for svg in (out / "figures").glob("*.svg"):
        assert (run / "figures" / svg.name).read_bytes() == svg.read_bytes(), f"{svg.name} differs"


def test_figures_for_papers_are_png_and_svg_of_every_chart(demo_run):
    _, out = demo_run
    keys = [c.key for c in build_charts(load_run(out).report_tables())]
    # no by-specialty: each of the 13 specialties is one person, and one pooled group compares with nothing
    assert {"themes", "participants", "subthemes", "by-kind", "by-country", "by-gender", "by-years-abroad",
            "topic-map"} == set(keys)
    for key in keys:
        png = out / "figures" / f"{key}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        root = ElementTree.parse(out / "figures" / f"{key}.svg").getroot()
        assert root.tag.endswith("svg")
    themes_svg = (out / "figures" / "themes.svg").read_text(encoding="utf-8")
    result, _ = demo_run
    overall = result.theme_frequencies(by=[])
    top = overall[(overall["breakdown"] == "overall") & (overall["level"] == "theme")].iloc[0]
    assert f"{top.segments:,} ({100 * top.share:.1f}%)" in themes_svg  # the numbers are drawn as text


def test_notebook_figures_show_the_run_numbers(demo_run):
    import plotly.graph_objects as go

    result, out = demo_run
    freq = result.theme_frequencies(by=[])
    overall = freq[(freq["breakdown"] == "overall") & (freq["level"] == "theme")]
    labels = {t.id: t.label for t in result.codebook.themes} | {"unassigned": "unassigned"}
    expected = {labels[r.theme]: r.segments for r in overall.itertuples()}

    figure = result.plot_theme_frequencies()
    assert isinstance(figure, go.Figure)
    assert dict(zip(figure.data[0].y, figure.data[0].x, strict=True)) == expected
    by_gender = result.plot_theme_frequencies(by="gender")  # two groups: grouped bars
    assert [trace.name.split(" (")[0] for trace in by_gender.data] == ["female", "male"]
    # six countries, five with fewer than 3 participants: the UK beside the other eight people together
    by_country = result.plot_theme_frequencies(by="country")
    assert by_country.data[0].name.startswith("United Kingdom (5 participants, ")
    assert by_country.data[1].name.startswith("other: ") and "(8 participants, " in by_country.data[1].name
    with pytest.raises(ConfigError, match="at least 3 participants"):
        result.plot_theme_frequencies(by="specialty")
    topic_map = result.plot_topic_map()
    assert sum(len(trace.x) for trace in topic_map.data) == len(result.topic_map_frame())
    assert result.plot_participants().data[0].text[0].endswith("of 13")
    saved = load_run(out)
    assert saved.plot_theme_frequencies().to_json() == figure.to_json()
    with pytest.raises(ConfigError, match="cannot break frequencies down by 'religion'"):
        result.plot_theme_frequencies(by="religion")


def test_page_stays_light_at_50000_segments(large_run: Path):
    started = time.perf_counter()
    written = write_report(large_run)
    seconds = time.perf_counter() - started
    page = written.page.read_text(encoding="utf-8")
    assert seconds < 90, f"building the page for 50,000 segments took {seconds:.0f} s"
    assert len(page.encode()) < 9_000_000, "the map is sampled and quotes capped, so the page stays a few MB"
    saved = load_run(large_run)
    assert len(saved.segments) == 50_000
    assert "50,000</b><span>segments" in page
    for theme in saved.codebook.themes:
        section = page.split(f'id="theme-{theme.id}"', 1)[1].split("</article>", 1)[0]
        assert section.count("<blockquote") <= MORE_PER_THEME + len(saved.quotes[saved.quotes["theme"] == theme.id])


def test_page_shows_calibrated_scores_as_a_threshold_table_and_what_changed(demo_run, tmp_path: Path):
    """A run learned from examples: the reader sees, per threshold, the share right and the share of
    passages reaching it, read as an upper bound, and how many segments moved since the replaced run."""
    import json

    _, out = demo_run
    run = tmp_path / "run"
    shutil.copytree(out, run)
    manifest = json.loads((run / "run_manifest.json").read_text(encoding="utf-8"))
    manifest["aligner"] = {
        "method": "learned", "examples": 120, "calibrated": True,
        "scores": "probability the theme is right, calibrated out of fold on the coded examples",
        "reliability": [{"threshold": 0.5, "precision": 0.71, "coverage": 0.64, "n": 77},
                        {"threshold": 0.8, "precision": 0.88, "coverage": 0.26, "n": 31},
                        {"threshold": 0.9, "precision": 0.0, "coverage": 0.01, "n": 1},
                        {"threshold": 0.95, "precision": None, "coverage": 0.0, "n": 0}],
    }
    manifest["changes"] = {"compared_with": "results/run-1", "segments_compared": 1107, "theme_moved": 212,
                           "subtheme_moved": 30, "moves": []}
    (run / "run_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    write_report(run)
    page = " ".join((run / "report.html").read_text(encoding="utf-8").split())
    assert "<th>Scores</th><td>probability the theme is right" in page
    assert "<tr><th>score ≥</th><td>0.5</td><td>0.8</td><td>0.9</td></tr>" in page  # nobody reached 0.95
    assert "<tr><th>right</th><td>71%</td><td>88%</td><td>0%</td></tr>" in page
    assert "<tr><th>of passages</th><td>64%</td><td>26%</td><td>1%</td></tr>" in page
    assert "an upper bound for the rest of the corpus" in page
    assert "<b>212 of 1,107</b> coded segments changed theme (30 more changed only subtheme)" in page
    assert "<code>results/run-1</code>" in page


def test_a_codebook_without_subthemes_gets_no_empty_subtheme_chart(demo_run):
    _, out = demo_run
    tables = load_run(out).report_tables()
    flat = dataclasses.replace(
        tables,
        codebook=dataclasses.replace(
            tables.codebook, entries=tuple(t for t in tables.codebook.entries if t.parent is None)
        ),
        segments=tables.segments.assign(subtheme=""),
    )
    keys = [c.key for c in build_charts(flat)]
    assert "subthemes" not in keys and "themes" in keys
