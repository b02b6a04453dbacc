"""How report.html scales: build time, page size and time to open in Chromium.

A run directory is scaled to larger studies by repeating its segments (each repeat
keeps its document and offsets and gets new segment ids), then the page is rebuilt from
it, exactly as ``narratives report`` does. Nothing is re-run: this measures the page.

    python benchmarks/report_page.py [RUN_DIR] [--write]

RUN_DIR defaults to ``out/demo`` (``make demo``). ``--write`` puts the table into
``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SIZES = (None, 10_000, 50_000)
SECTION = "## The report page (issue 5)"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
]
"""Headless and quiet: without the background-networking flags Chromium itself tries to reach
Google's servers at start, which would look like requests made by the page. Shared by the
browser tests and docs/screenshots.py."""


def scaled_run(run_dir: Path, segments: int, target: Path) -> Path:
    """A copy of ``run_dir`` at ``target`` whose ``segments.csv`` has ``segments`` rows, page removed."""
    from narratives.reports.run_dir import file_hashes
    from narratives.spreadsheet import read_csv_frame, write_csv_frame

    shutil.copytree(run_dir, target)
    frame = read_csv_frame(target / "segments.csv", dtype=str, keep_default_na=False)
    copies = []
    for i in range(-(-segments // len(frame))):
        copy = frame.copy()
        if i:
            copy["segment_id"] = copy["segment_id"] + f"-r{i}"
        copies.append(copy)
    scaled = pd.concat(copies).head(segments)
    write_csv_frame(scaled, target / "segments.csv", index=False)
    _scale_map(target / "topic_map.csv", set(scaled["segment_id"]))
    manifest = json.loads((target / "run_manifest.json").read_text(encoding="utf-8"))
    manifest["files"] = file_hashes(target)  # the tables are this study's now, as a run would record them
    (target / "run_manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    (target / "report.html").unlink(missing_ok=True)
    shutil.rmtree(target / "figures", ignore_errors=True)
    return target


def _scale_map(path: Path, kept: set[str]) -> None:
    """Add the repeats to the topic map, as a run would sample them: up to 3,000 points in all."""
    from narratives.cluster.layout import MAP_POINTS

    points = pd.read_csv(path, dtype={"segment_id": str})
    copies, i = [points], 1
    while sum(len(c) for c in copies) < MAP_POINTS:
        copy = points.assign(segment_id=points["segment_id"] + f"-r{i}", x=points["x"] + 0.03 * i)
        copy = copy[copy["segment_id"].isin(kept)]
        if copy.empty:
            break
        copies.append(copy)
        i += 1
    from narratives.spreadsheet import write_csv_frame

    write_csv_frame(pd.concat(copies).head(MAP_POINTS), path, index=False)


def open_seconds(page: Path) -> float | None:
    """Seconds from navigation until every chart is drawn, in headless Chromium (None without it)."""
    chromium = shutil.which("chromium")
    if chromium is None:
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        view = browser.new_page(viewport={"width": 1280, "height": 900})
        started = time.perf_counter()
        view.goto(page.resolve().as_uri(), wait_until="load")
        view.wait_for_function(
            "[...document.querySelectorAll('[data-chart]')].every(e => e.querySelector('svg.main-svg'))"
        )
        seconds = time.perf_counter() - started
        browser.close()
    return seconds


def measure(run_dir: Path) -> list[dict[str, object]]:
    from narratives.reports.page.build import write_report

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            n = size or len(pd.read_csv(run_dir / "segments.csv", usecols=["segment_id"]))
            run = scaled_run(run_dir, n, Path(tmp) / f"run-{n}")
            started = time.perf_counter()
            written = write_report(run)
            build = time.perf_counter() - started
            opened = open_seconds(written.page)
            rows.append({
                "segments": n, "build_s": build, "page_mb": written.page.stat().st_size / 1e6,
                "figures": len(written.figures), "open_s": opened,
            })
            print(rows[-1], file=sys.stderr)
    return rows


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| segments | build page + figures (s) | report.html (MB) | figures | Chromium: load and draw (s) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        opened = "n/a (no chromium)" if r["open_s"] is None else f"{r['open_s']:.1f}"
        lines.append(f"| {r['segments']:,} | {r['build_s']:.1f} | {r['page_mb']:.1f} | {r['figures']} | {opened} |")
    return "\n".join(lines)


def write_section(text: str) -> None:
    from benchmarks.readme import replace_section

    replace_section(SECTION, (
        "`python benchmarks/report_page.py --write`: the demo run's page, and the same run with its\n"
        "segments repeated to 10,000 and 50,000 rows, rebuilt as `narratives report` does. The topic map gets the\n"
        "repeats too, up to the 3,000 points a run samples at most, and each theme lists at most 50 quotes, so\n"
        "the page stops growing; what grows is the counting. 2 CPU cores.\n\n" + text
    ))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", nargs="?", type=Path, default=ROOT / "out" / "demo")
    parser.add_argument("--write", action="store_true", help="write the table into benchmarks/README.md")
    args = parser.parse_args()
    if not (args.run_dir / "run_manifest.json").is_file():
        sys.exit(f"{args.run_dir} is not a run directory: run `make demo` first")
    text = table(measure(args.run_dir))
    print(text)
    if args.write:
        write_section(text)


if __name__ == "__main__":
    main()
