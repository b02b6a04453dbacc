"""Speed and scale of ``narratives run`` against stock BERTopic, written into benchmarks/README.md.

    python -m benchmarks.scale [--sizes 10000,30000] [--stock-up-to 30000] [--set align.window=segments] [--write]
    make bench

For each size a 20 Newsgroups corpus of that many sentences is built
(:mod:`benchmarks.scale.newsgroups`) and measured, each run in a fresh process:

- **cold**: an empty cache (every segment and context window embedded, the model loaded);
- **warm**: the embeddings cached, the clustering computed again;
- **rerun**: everything cached, as when only the codebook changes (here it does change:
  the second run codes with ``configs/codebooks/physician-migration.yaml``);
- **stock BERTopic** 0.17 with its defaults on the same coded segments: given the same
  pre-computed embeddings, and (up to ``--stock-e2e-up-to``) end to end with the same model.

The demo corpus is measured cold and warm as well. Clustering quality is NMI and ARI of
the coded segments' clusters against their posts' newsgroups (outliers count as one more
cluster), with the share of outliers and of the largest topic. Results are kept in
``benchmarks/results/scale.json``; ``--table-only`` rewrites the README table from it.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from benchmarks.scale.newsgroups import build

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "scale.json"
SECTION = "## Speed and scale (issue 6)"
RUNS = ("cold", "warm", "rerun")
STAGES = ("load", "segment", "embed", "reduce", "cluster", "align", "report")
NEWSGROUPS_CODEBOOK = "benchmarks/data/newsgroups-codebook.yaml"
PHYSICIAN_CODEBOOK = "configs/codebooks/physician-migration.yaml"


def _measure(args: list[str], out_json: Path) -> dict[str, Any]:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "benchmarks.scale.measure", *args, "--json", str(out_json)],
                   cwd=ROOT, check=True)
    result: dict[str, Any] = json.loads(out_json.read_text())
    result["wall_s"] = round(time.perf_counter() - started, 1)
    return result


def measure_size(work: Path, size: int | None, *, stock: bool, stock_e2e: bool, demo: bool = False,
                 settings: tuple[str, ...] = (), runs: tuple[str, ...] = RUNS) -> dict[str, Any]:
    """Cold, warm and codebook-only runs (those named in ``runs``), and stock BERTopic, for one corpus."""
    base = "demo" if demo else f"ng{size}"
    name = base + (f" ({', '.join(settings)})" if settings else "")
    corpus = ROOT / "corpora" / "demo" if demo else work / base
    if not demo and not (corpus / "manifest.csv").exists():
        print(f"building {corpus}: {build(corpus, int(size or 0))}", flush=True)
    slug = "".join(c if c.isalnum() else "-" for c in name)
    cache = work / f"{slug}-cache"
    if "cold" in runs:
        shutil.rmtree(cache, ignore_errors=True)
    out = work / f"{slug}-runs"
    out.mkdir(parents=True, exist_ok=True)
    row: dict[str, Any] = {"name": name, "size": size, "settings": list(settings)}
    common = [str(corpus), "--cache", str(cache), *(f"--set={s}" for s in settings)]
    if demo:
        common += ["--set", "report.by=[country, gender, specialty]"]
    codebook = PHYSICIAN_CODEBOOK if demo else NEWSGROUPS_CODEBOOK
    for label in (r for r in ("cold", "warm") if r in runs):
        if label == "warm":
            shutil.rmtree(cache / "clusters", ignore_errors=True)  # warm = embeddings cached, clustering redone
        print(f"{name}: {label} run", flush=True)
        row[label] = _measure(["narratives", *common, "--codebook", codebook, "--out", str(out / label)],
                              out / f"{label}.json")
    if "rerun" in runs:
        print(f"{name}: codebook-only rerun", flush=True)
        other = NEWSGROUPS_CODEBOOK if demo else PHYSICIAN_CODEBOOK
        row["rerun"] = _measure(["narratives", *common, "--codebook", other, "--out", str(out / "rerun")],
                                out / "rerun.json")
    if stock:
        print(f"{name}: stock BERTopic, pre-computed embeddings", flush=True)
        row["stock"] = _measure(["stock", str(out / "cold"), "--cache", str(cache)], out / "stock.json")
    if stock_e2e:
        print(f"{name}: stock BERTopic, end to end", flush=True)
        row["stock_e2e"] = _measure(["stock", str(out / "cold"), "--cache", str(cache), "--end-to-end"],
                                    out / "stock_e2e.json")
    return row


def slope(rows: list[dict[str, Any]], key: str, stage: str | None = None) -> float | None:
    """Least-squares slope of log(time) against log(segments) over the newsgroup sizes (default settings)."""
    points = []
    for row in rows:
        if row["name"] == "demo" or key not in row or row.get("settings"):
            continue
        run = row[key]
        seconds = run["wall_s"] if stage is None else run["seconds"].get(stage)
        if seconds and seconds > 0:
            points.append((math.log(run["coded"]), math.log(seconds)))
    if len(points) < 2:
        return None
    x, y = np.array(points).T
    return round(float(np.polyfit(x, y, 1)[0]), 2)


def _stage_cells(run: dict[str, Any]) -> str:
    return " | ".join(f"{run['seconds'].get(s, 0):.1f}" for s in STAGES)


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "**Per stage, cold run** (seconds; peak MB is the highest stage peak; throughput in coded segments/s "
        "end to end)",
        "",
        "| corpus | segments (coded) | " + " | ".join(STAGES) + " | total (s) | peak MB | segments/s |",
        "| --- | --- | " + " | ".join("---" for _ in STAGES) + " | --- | --- | --- |",
    ]
    for row in rows:
        cold = row["cold"]
        lines.append(
            f"| {row['name']} | {cold['segments']:,} ({cold['coded']:,}) | {_stage_cells(cold)} | {cold['wall_s']:.0f} "
            f"| {max(cold['peak_mb'].values()):,.0f} | {cold['coded'] / cold['wall_s']:.0f} |"
        )
    lines += [
        "",
        "**Cold, warm, codebook-only, and stock BERTopic** (wall seconds of the whole process; quality of the clusters "
        "against the newsgroups: NMI / ARI, share of outliers, share of the largest topic)",
        "",
        "| corpus | cold (s) | warm (s) | codebook-only (s) | warm peak MB | narratives NMI / ARI | outliers | largest "
        "| topics | stock, same embeddings (s) | stock NMI / ARI | stock outliers | stock largest | stock topics "
        "| stock peak MB | stock end to end (s) | speed-up vs stock |",
        "| --- " * 17 + "|",
    ]
    for row in rows:
        cold, warm, rerun = row["cold"], row.get("warm"), row.get("rerun")
        clustered = warm or cold  # quality is the same clustering either way
        stock, e2e = row.get("stock"), row.get("stock_e2e")
        if stock:
            ratio = f"{stock['fit_s'] / max(warm['wall_s'], 1e-9):.1f}× (vs warm)" if warm else "n/a"
            stock_cells = (f"{stock['fit_s']:.0f} | {stock['nmi']:.2f} / {stock['ari']:.2f} | "
                           f"{stock['outliers']:.0%} | "
                           f"{stock['largest']:.0%} | {stock['topics']} | {stock['process_peak_mb']:,.0f}")
        else:
            ratio, stock_cells = "n/a", "not run | | | | |"
        e2e_cell = f"{e2e['fit_s']:.0f}" if e2e else "not run"
        if e2e:
            ratio += f"; {e2e['fit_s'] / max(cold['wall_s'], 1e-9):.1f}× (e2e vs cold)"
        nmi = clustered["nmi"]
        quality = "n/a (no labels)" if nmi is None else f"{nmi:.2f} / {clustered['ari']:.2f}"
        warm_cells = (f"{warm['wall_s']:.0f} | " if warm else "not run | ") + (
            f"{rerun['wall_s']:.1f} | " if rerun else "not run | ")
        warm_cells += f"{max(warm['peak_mb'].values()):,.0f}" if warm else "not run"
        lines.append(
            f"| {row['name']} | {cold['wall_s']:.0f} | {warm_cells} | {quality} | {clustered['outliers']:.0%} "
            f"| {clustered['largest']:.0%} | {clustered['topics']} | {stock_cells} | {e2e_cell} | {ratio} |"
        )
    slopes = [f"total cold {slope(rows, 'cold')}", f"total warm {slope(rows, 'warm')}"]
    slopes += [f"{s} {slope(rows, 'cold', s)}" for s in STAGES]
    lines += ["", "Log-log slope of time against coded segments over the newsgroup sizes with default settings "
              "(1 = linear): " + ", ".join(slopes) + "."]
    return "\n".join(lines)


def write_section(text: str, notes: str) -> None:
    from benchmarks.readme import replace_section

    intro = "`make bench` (`python -m benchmarks.scale --write`), 2 CPU cores, 24 GB."
    replace_section(SECTION, f"{intro}\n\n{text}\n\n{notes}")


NOTES_FILE = ROOT / "benchmarks" / "scale" / "NOTES.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,30000",
                        help="newsgroup sentences per corpus, comma-separated (100000 takes about 25 minutes cold)")
    parser.add_argument("--stock-up-to", type=int, default=30_000, help="largest size stock BERTopic runs at")
    parser.add_argument("--stock-e2e-up-to", type=int, default=10_000,
                        help="largest size stock BERTopic also embeds itself (end to end)")
    parser.add_argument("--no-demo", action="store_true")
    parser.add_argument("--runs", default=",".join(RUNS),
                        help="which of cold,warm,rerun to measure (without cold the cache is kept)")
    parser.add_argument("--work", default="/tmp/narratives-bench", help="where corpora, caches and runs go")
    parser.add_argument("--write", action="store_true", help="put the table into benchmarks/README.md")
    parser.add_argument("--table-only", action="store_true", help="rewrite the table from the saved results")
    parser.add_argument("--set", action="append", default=[],
                        help="a setting for every run, e.g. align.window=segments")
    args = parser.parse_args()
    saved: dict[str, dict[str, Any]] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if not args.table_only:
        work = Path(args.work)
        work.mkdir(parents=True, exist_ok=True)
        settings = tuple(args.set)
        runs = tuple(r for r in args.runs.split(",") if r)
        if unknown := set(runs) - set(RUNS):
            parser.error(f"--runs: unknown {', '.join(sorted(unknown))}; choose from {', '.join(RUNS)}")
        if not args.no_demo:
            row = measure_size(work, None, stock=False, stock_e2e=False, demo=True, settings=settings, runs=runs)
            saved[row["name"]] = row
        for size in (int(s) for s in args.sizes.split(",") if s):
            row = measure_size(work, size, stock=size <= args.stock_up_to, stock_e2e=size <= args.stock_e2e_up_to,
                               settings=settings, runs=runs)
            saved[row["name"]] = {**saved.get(row["name"], {}), **row}  # runs not measured now keep their figures
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps(saved, indent=2) + "\n", encoding="utf-8")
    rows = sorted(saved.values(), key=lambda r: (r["size"] or 0, r["name"]))
    text = table(rows)
    print(text)
    if args.write:
        write_section(text, NOTES_FILE.read_text(encoding="utf-8") if NOTES_FILE.exists() else "")


if __name__ == "__main__":
    main()
