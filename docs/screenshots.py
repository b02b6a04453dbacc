"""Redraw the README's screenshots of the demo report: ``make screenshots`` (after ``make demo``).

Opens ``out/demo/report.html`` in Debian's Chromium (headless, offline) and saves
``docs/report-overview.png`` (the run at a glance and theme frequencies) and
``docs/report-quotes.png`` (a theme with its quotes in context).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.report_page import CHROMIUM_ARGS  # noqa: E402


def main(report: Path = ROOT / "out" / "demo" / "report.html") -> None:
    if not report.is_file():
        sys.exit(f"{report} not found: run `make demo` first")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1500}, device_scale_factor=1)
        page.goto(report.resolve().as_uri())
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length > 0")
        page.screenshot(path=str(ROOT / "docs" / "report-overview.png"))
        top = page.locator("#themes article.theme").nth(4).bounding_box()
        assert top is not None
        page.screenshot(path=str(ROOT / "docs" / "report-quotes.png"), full_page=True,
                        clip={"x": 0, "y": top["y"] - 20, "width": 1200, "height": 1000})
        browser.close()
    print("wrote docs/report-overview.png and docs/report-quotes.png")


if __name__ == "__main__":
    main()
