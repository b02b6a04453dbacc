"""report.html as a person sees it: opened in headless Chromium, offline.

Needs Debian's ``chromium`` (``make test`` installs it where apt-get and root are
available) and the ``playwright`` package, which drives that browser; no browser is
downloaded. Screenshots are saved to ``out/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from benchmarks.report_page import CHROMIUM_ARGS

from narratives.cluster.layout import MAP_POINTS
from narratives.reports.page.build import QUOTES_PER_PAGE, anchor, write_report
from narratives.reports.run_dir import load_run

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium, "
                    "which `make test` does when it runs as root) to run the browser tests")
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency: make install")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visit:
    """One page load, recording console errors, page errors and every request made."""

    def __init__(self, browser, path: Path, width: int = 1280):
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}")
                     if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        # anything that is not the page's own file would be a network request: refuse and record it
        self.page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                        else route.abort())
        self.url = path.resolve().as_uri()
        started = time.perf_counter()
        self.page.goto(self.url, wait_until="load")
        self.page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length > 0")
        self.seconds = time.perf_counter() - started

    def chart(self, key: str, expression: str):
        script = f"(() => {{ const el = document.getElementById('chart-{key}'); return {expression}; }})()"
        return self.page.evaluate(script)


def test_demo_report_renders_offline_with_the_run_numbers(browser, demo_run):
    result, out = demo_run
    visit = Visit(browser, out / "report.html")
    page = visit.page
    assert visit.errors == []
    assert [u for u in visit.requests if u != visit.url] == [], "the page asked for something besides itself"

    # every chart was drawn by plotly as SVG
    keys = page.eval_on_selector_all("[data-chart]", "els => els.map(e => e.dataset.chart)")
    assert {"themes", "participants", "subthemes", "by-kind", "by-country", "topic-map"} <= set(keys)
    drawn = page.eval_on_selector_all("[data-chart]", "els => els.filter(e => e.querySelector('svg.main-svg')).length")
    assert drawn == len(keys)

    # the theme chart shows the run's counts, as numbers and as text on the bars
    freq = result.theme_frequencies(by=[])
    overall = freq[(freq["breakdown"] == "overall") & (freq["level"] == "theme")]
    labels = {t.id: t.label for t in result.codebook.themes} | {"unassigned": "unassigned"}
    expected = {labels[r.theme]: r.segments for r in overall.itertuples()}
    shown = dict(zip(visit.chart("themes", "el.data[0].y"), visit.chart("themes", "el.data[0].x"), strict=True))
    assert shown == expected
    bar_texts = visit.chart("themes", "[...el.querySelectorAll('text.bartext')].map(t => t.textContent)")
    for row in overall.itertuples():
        assert f"{row.segments:,} ({100 * row.share:.1f}%)" in bar_texts
    assert "13 of 13" in visit.chart("participants", "[...el.querySelectorAll('text.bartext')].map(t => t.textContent)")

    # the topic map draws one point per sampled segment, and stars the candidate new themes
    points = visit.chart("topic-map", "el.querySelectorAll('.scatterlayer .point').length")
    assert points == len(result.topic_map_frame())
    candidates = int(result.topics_frame()["candidate_new_theme"].sum())
    labels = visit.chart("topic-map", "[...el.querySelectorAll('.annotation-text')].map(t => t.textContent)")
    stars = sum(label.startswith("★") for label in labels)
    assert stars == candidates > 0
    assert page.locator(".callout").count() == candidates

    # the coverage table lists every code; the glance shows the counts
    assert page.locator("table.coverage tbody tr").count() == len(result.codebook.entries)
    assert page.locator(".stat b").first.inner_text() == str(len(result.corpus.documents))

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "report-top.png"))
    page.screenshot(path=str(SCREENSHOTS / "report-full.png"), full_page=True)
    page.close()


def test_quote_links_open_the_right_page_of_a_long_list(browser, demo_run):
    result, out = demo_run
    saved = load_run(out)
    theme = result.codebook.themes[0].id
    coded = saved.segments[(saved.segments["theme"] == theme) & (saved.segments["status"] == "coded")]
    listed = coded[~coded["segment_id"].isin(saved.quotes["segment_id"])].sort_values(
        ["score", "segment_id"], ascending=[False, True], kind="stable")
    deep = listed.iloc[QUOTES_PER_PAGE * 2]["segment_id"]  # first quote on the list's third page

    visit = Visit(browser, out / "report.html")
    page = visit.page
    more = page.locator(f"#theme-{theme} details.more")
    more.locator("summary").click()
    visible = more.locator("blockquote:not([hidden])")
    assert visible.count() == QUOTES_PER_PAGE
    more.locator("button.next").click()
    assert "page 2 of" in more.locator(".position").inner_text()
    assert visible.first.get_attribute("id") == anchor(listed.iloc[QUOTES_PER_PAGE]["segment_id"])

    page.goto(f"{visit.url}#{anchor(deep)}")
    target = page.locator(f"#{anchor(deep)}")
    assert target.is_visible()
    assert "page 3 of" in more.locator(".position").inner_text()
    assert visit.errors == []
    page.close()


def test_report_of_50000_segments_opens_quickly(browser, large_run):
    write_report(large_run, figures=False)
    visit = Visit(browser, large_run / "report.html")
    assert visit.errors == []
    assert visit.seconds < 15, f"the page took {visit.seconds:.1f} s to load and draw"
    assert "50,000" in visit.page.locator(".stat b").nth(1).inner_text()
    assert visit.chart("topic-map", "el.querySelectorAll('.scatterlayer .point').length") == MAP_POINTS
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    visit.page.screenshot(path=str(SCREENSHOTS / "report-50k-top.png"))
    visit.page.close()
