"""Speed of ``narratives run`` beside stock BERTopic (issue 17), written into benchmarks/README.md.

    python -m benchmarks.scale [--workloads posts,sentences,rerun,learning] [--sizes 100000]
        [--rerun-size 15000] [--set embed.runtime=static] [--stock-e2e-up-to 30000] [--write]
    make bench

Every measured run is a fresh process (so model loading and peak memory are its own), and
stock BERTopic 0.17 with its defaults runs in the same invocation, on the same input:

- **posts**: the 20 Newsgroups test posts, each post one document
  (:func:`benchmarks.scale.newsgroups.build_posts`). ``narratives run`` cold (empty cache: the first
  run on a machine, which also exports the model to ONNX and compiles UMAP's code) and as a new
  corpus (a cache holding only those two, as every run after the first finds them) against
  stock BERTopic end to end with the same model (``BERTopic(embedding_model=MiniLM).fit_transform(posts)``).
  Topic quality is NMI against the newsgroups of one topic per post: stock's own, and for
  ``narratives`` the topic most of the post's coded sentences are in.
- **sentences**: 20 Newsgroups posts cut to ``--sizes`` sentences. Cold, and warm (embeddings
  cached, clustering redone), against stock BERTopic on the same coded sentences, given the
  same embeddings (its fit alone) and, up to ``--stock-e2e-up-to``, end to end.
- **rerun**: a codebook-only re-run at ``--rerun-size`` sentences (everything cached but the new
  codebook's wording): stock BERTopic has no such step, so beside it is stock's fit on the same
  embeddings, what re-running it would cost.
- **learning**: ``narratives run --examples`` on the usability think-aloud transcripts with its
  1,000 coded passages (the learned aligner fine-tunes MiniLM), cold and then cached. Stock
  BERTopic does not learn from coded examples: nothing stands beside it.

Results accumulate in ``benchmarks/results/speed.json`` by workload, size and settings, so a
speed option measured with ``--set`` keeps its row beside the default's. Each row shows the
option's coding accuracy on the shared coded sets from ``benchmarks/speed_options.py``.
``--table-only`` rewrites the README table from the saved results.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.scale.newsgroups import SHARED, build, build_posts

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "speed.json"
OPTION_SCORES = ROOT / "benchmarks" / "results" / "speed_options.json"
SECTION = "## Speed against stock BERTopic (issue 17)"
WORKLOADS = ("posts", "sentences", "rerun", "learning")
NEWSGROUPS_CODEBOOK = "benchmarks/data/newsgroups-codebook.yaml"
PHYSICIAN_CODEBOOK = "configs/codebooks/physician-migration.yaml"
USABILITY = SHARED / "benchmarks" / "usability-think-aloud"
NOTES_FILE = ROOT / "benchmarks" / "scale" / "NOTES.md"
MACHINE_CACHES = ("onnx", "numba")
"""Cache folders that depend on the installation, not on any corpus: the model's ONNX export and
UMAP's and pynndescent's compiled code. Made by the first run on a machine, in the user-wide cache,
then reused."""
RUNS = ("cold", "new corpus", "warm", "rerun", "cached")


def _measure(args: list[str], out_json: Path) -> dict[str, Any]:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "benchmarks.scale.measure", *args, "--json", str(out_json)],
                   cwd=ROOT, check=True)
    result: dict[str, Any] = json.loads(out_json.read_text())
    result["wall_s"] = round(time.perf_counter() - started, 1)
    return result


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text)


class Bench:
    """One invocation: where corpora, caches and runs go, and the settings every run gets."""

    def __init__(self, work: Path, settings: tuple[str, ...]) -> None:
        self.work = work
        self.settings = settings

    def folder(self, name: str) -> Path:
        out = self.work / _slug(f"{name} {' '.join(self.settings)}")
        out.mkdir(parents=True, exist_ok=True)
        return out

    def fresh(self, name: str) -> tuple[Path, Path]:
        """The run folder for ``name`` and its cache, emptied (cold runs start from nothing)."""
        runs = self.folder(name)
        shutil.rmtree(runs / "cache", ignore_errors=True)
        return runs, runs / "cache"

    def newsgroups(self, size: int) -> Path:
        """The 20 Newsgroups corpus of ``size`` sentences, built on first use."""
        corpus = self.work / f"ng{size}"
        if not (corpus / "manifest.csv").exists():
            print(f"building {corpus}: {build(corpus, size)}", flush=True)
        return corpus

    def narratives(self, corpus: Path, cache: Path, out: Path, codebook: str, *extra: str) -> dict[str, Any]:
        args = ["narratives", str(corpus), "--cache", str(cache), "--codebook", codebook, "--out", str(out),
                *(f"--set={s}" for s in self.settings), *extra]
        return _measure(args, out.with_suffix(".json"))

    def posts(self, stock: bool) -> dict[str, Any]:
        corpus = self.work / "ng-test-posts"
        if not (corpus / "manifest.csv").exists():
            print(f"building {corpus}: {build_posts(corpus)}", flush=True)
        runs, cache = self.fresh("posts")
        print("posts: narratives, cold", flush=True)
        row: dict[str, Any] = {"cold": self.narratives(corpus, cache, runs / "cold", NEWSGROUPS_CODEBOOK)}
        print("posts: narratives, new corpus (the cache keeps only the machine's ONNX export and compiled code)",
              flush=True)
        new_runs, new_cache = self.fresh("posts new corpus")
        for kept in MACHINE_CACHES:
            shutil.copytree(cache / kept, new_cache / kept)
        row["new corpus"] = self.narratives(corpus, new_cache, new_runs / "cold", NEWSGROUPS_CODEBOOK)
        if stock:
            print("posts: stock BERTopic, end to end", flush=True)
            row["stock_e2e"] = _measure(["stock", str(corpus), "--cache", str(cache), "--end-to-end", "--posts"],
                                        runs / "stock_e2e.json")
        return row

    def sentences(self, size: int, *, stock: bool, stock_e2e: bool, warm: bool = True) -> dict[str, Any]:
        corpus = self.newsgroups(size)
        runs, cache = self.fresh(f"ng{size}")
        row: dict[str, Any] = {}
        for label in ("cold", "warm") if warm else ("cold",):
            if label == "warm":
                shutil.rmtree(cache / "clusters", ignore_errors=True)  # warm = embeddings cached, clustering redone
            print(f"ng{size}: narratives, {label}", flush=True)
            row[label] = self.narratives(corpus, cache, runs / label, NEWSGROUPS_CODEBOOK)
        if stock:
            print(f"ng{size}: stock BERTopic, same embeddings", flush=True)
            row["stock"] = _measure(["stock", str(runs / "cold"), "--cache", str(cache)], runs / "stock.json")
        if stock_e2e:
            print(f"ng{size}: stock BERTopic, end to end", flush=True)
            row["stock_e2e"] = _measure(["stock", str(runs / "cold"), "--cache", str(cache), "--end-to-end"],
                                        runs / "stock_e2e.json")
        return row

    def rerun(self, size: int, *, stock: bool) -> dict[str, Any]:
        corpus = self.newsgroups(size)
        runs, cache = self.fresh(f"rerun{size}")
        print(f"ng{size}: narratives, cold (fills the cache)", flush=True)
        row: dict[str, Any] = {"cold": self.narratives(corpus, cache, runs / "cold", NEWSGROUPS_CODEBOOK)}
        print(f"ng{size}: narratives, codebook-only re-run", flush=True)
        row["rerun"] = self.narratives(corpus, cache, runs / "rerun", PHYSICIAN_CODEBOOK)
        if stock:
            print(f"ng{size}: stock BERTopic, same embeddings", flush=True)
            row["stock"] = _measure(["stock", str(runs / "cold"), "--cache", str(cache)], runs / "stock.json")
        return row

    def learning(self) -> dict[str, Any]:
        runs, cache = self.fresh("learning")
        row: dict[str, Any] = {}
        for label in ("cold", "cached"):
            print(f"learning from 1,000 coded passages: narratives, {label}", flush=True)
            row[label] = self.narratives(USABILITY / "transcripts", cache, runs / label,
                                         str(USABILITY / "codebook.csv"), "--examples",
                                         str(USABILITY / "coded_passages.csv"))
        return row


# ---------------------------------------------------------------------------------------------- the table


def _scores(settings: list[str]) -> str:
    """The option's coding accuracy from benchmarks/speed_options.py, or why it is missing."""
    if not OPTION_SCORES.exists():
        return "not measured (run benchmarks/speed_options.py)"
    from narratives.config import load_config

    def effective(given: list[str]) -> tuple[str, str]:
        config = load_config(None, [s for s in given if s.startswith(("embed.", "align."))])
        return config.embed.runtime, config.align.window

    options = json.loads(OPTION_SCORES.read_text())
    for scores in options.values():
        if effective(scores["settings"]) == effective(settings):
            values = [v for k, v in scores.items() if k not in ("settings", "seconds")]
            return " / ".join(f"{v:.3f}" for v in values)
    return "not measured for these settings"


def _peak(run: dict[str, Any]) -> float:
    return float(run.get("process_peak_mb") or max(run["peak_mb"].values()))


def _nmi(run: dict[str, Any] | None, per_document: bool = False) -> str:
    if not run:
        return "—"
    q = run.get("per_document", run) if per_document else run
    return "—" if q.get("nmi") is None else f"{q['nmi']:.3f}"


TARGETS = {
    ("posts", "cold"): ("≤ 0.5× stock, NMI ≥ stock's", None),
    ("posts", "new corpus"): ("≤ 0.5× stock, NMI ≥ stock's", None),
    ("sentences", "cold"): ("≤ 360 s, < 4 GB", 360.0),
    ("sentences", "warm"): ("≤ 60 s", 60.0),
    ("rerun", "rerun"): ("≤ 5 s", 5.0),
    ("learning", "cold"): ("≤ 600 s", 600.0),
    ("learning", "cached"): ("≤ 5 s", 5.0),
}


def _target(workload: str, label: str, size: int | None) -> str:
    if workload == "sentences" and size is not None and size >= 1_000_000 and label == "cold":
        return "≤ 1,200 s, < 12 GB"
    return TARGETS.get((workload, label), ("",))[0]


def _met(workload: str, label: str, size: int | None, run: dict[str, Any], beside: dict[str, Any] | None) -> str:
    target = TARGETS.get((workload, label))
    if workload == "sentences" and size is not None and size >= 1_000_000 and label == "cold":
        return "yes" if run["wall_s"] <= 1200 and _peak(run) < 12_000 else "no"
    if target is None:
        return ""
    if workload == "posts":
        if not beside:
            return "stock not run"
        missed = [what for what, ok in (("time", run["wall_s"] <= 0.5 * beside["wall_s"]),
                                        ("NMI", run["per_document"]["nmi"] >= beside["nmi"])) if not ok]
        return f"no ({' and '.join(missed)})" if missed else "yes"
    if size is not None and size != 100_000 and workload == "sentences":
        return "(target is at 100k)"
    if size is not None and size != 15_000 and workload == "rerun":
        return "(target is at 15k)"
    ok = run["wall_s"] <= (target[1] or 0)
    if (workload, label) == ("sentences", "cold"):
        ok = ok and _peak(run) < 4000
    return "yes" if ok else "no"


def table(saved: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| workload | settings | run | narratives (s) | stock BERTopic (s) | narratives / stock | target | met? "
        "| topic NMI narratives / stock | coding: usability zero-shot / with examples / World after Covid F1 "
        "| peak MB |",
        "| --- " * 11 + "|",
    ]
    order = {w: i for i, w in enumerate(WORKLOADS)}
    for key in sorted(saved, key=lambda k: (order[saved[k]["workload"]], saved[k]["size"] or 0, k)):
        row = saved[key]
        workload, size, settings = row["workload"], row["size"], row["settings"]
        what = (f"20NG test posts ({row.get('documents', 0):,} read)" if workload == "posts"
                else "usability, 1,000 examples" if workload == "learning"
                else f"{size:,} sentences" + (", codebook-only" if workload == "rerun" else ""))
        shown = ", ".join(settings) or "defaults"
        scores = _scores(settings)
        same = (workload, size, [])
        defaults = next((r for r in saved.values() if (r["workload"], r["size"], r["settings"]) == same), {})
        borrowed = ""
        for stock_key in ("stock", "stock_e2e"):  # stock BERTopic has no settings of ours: one run serves every row
            if stock_key not in row and stock_key in defaults:
                row = {**row, stock_key: defaults[stock_key]}
                borrowed = ", the defaults row's run"
        for label in RUNS:
            run = row.get(label)
            if not run or (workload == "rerun" and label == "cold"):
                continue
            beside, beside_name = None, ""
            if workload == "posts":
                beside, beside_name = row.get("stock_e2e"), "end to end"
            elif workload == "sentences" and label == "cold" and row.get("stock_e2e"):
                beside, beside_name = row["stock_e2e"], "end to end"
            elif workload in ("sentences", "rerun") and row.get("stock"):
                beside, beside_name = row["stock"], "fit on the same embeddings"
            stock_cell = f"{beside['wall_s']:.0f} ({beside_name}{borrowed})" if beside else "—"
            ratio = f"{run['wall_s'] / beside['wall_s']:.2f}×" if beside else "—"
            if workload == "sentences" and label == "cold" and beside_name != "end to end":
                ratio = "— (stock did not embed)"
            nmi = f"{_nmi(run, workload == 'posts')} / {_nmi(beside)}" if workload != "learning" else "—"
            lines.append(
                f"| {what} | {shown} | {label} | {run['wall_s']:.1f} | {stock_cell} | {ratio} "
                f"| {_target(workload, label, size)} | {_met(workload, label, size, run, beside)} | {nmi} "
                f"| {scores} | {_peak(run):,.0f} |"
            )
    return "\n".join(lines)


def stage_table(saved: dict[str, dict[str, Any]]) -> str:
    stages = ("load", "segment", "embed", "reduce", "cluster", "align", "report")
    lines = ["| workload | settings | run | " + " | ".join(stages) + " |", "| --- " * (len(stages) + 3) + "|"]
    for row in saved.values():
        for label in RUNS:
            run = row.get(label)
            if run and "seconds" in run:
                cells = " | ".join(f"{run['seconds'].get(s, 0):.1f}" for s in stages)
                lines.append(f"| {row['workload']} {row['size'] or ''} | {', '.join(row['settings']) or 'defaults'} "
                             f"| {label} | {cells} |")
    return "\n".join(lines)


def write_section(saved: dict[str, dict[str, Any]]) -> None:
    from benchmarks.readme import replace_section

    notes = NOTES_FILE.read_text(encoding="utf-8") if NOTES_FILE.exists() else ""
    commits = sorted({row["commit"] for row in saved.values() if row.get("commit")})
    intro = (f"`make bench` (`python -m benchmarks.scale --write`), 2 CPU cores, 24 GB; commits {', '.join(commits)}. "
             "Seconds are each process's wall time, imports and model loading included; the ratio is ours over "
             "stock's (below 1: faster than stock).")
    replace_section(SECTION, f"{intro}\n\n{table(saved)}\n\nPer stage (seconds inside the run):\n\n"
                    f"{stage_table(saved)}\n\n{notes}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help=f"some of {','.join(WORKLOADS)}")
    parser.add_argument("--sizes", default="100000", help="sentences per corpus for 'sentences', comma-separated")
    parser.add_argument("--rerun-size", type=int, default=15_000)
    parser.add_argument("--stock-e2e-up-to", type=int, default=30_000,
                        help="largest 'sentences' size stock BERTopic also embeds itself (end to end)")
    parser.add_argument("--no-stock", action="store_true", help="measure narratives only")
    parser.add_argument("--cold-only", action="store_true", help="'sentences': no warm run (1,000,000 sentences)")
    parser.add_argument("--work", default="/tmp/narratives-bench", help="where corpora, caches and runs go")
    parser.add_argument("--write", action="store_true", help="put the table into benchmarks/README.md")
    parser.add_argument("--table-only", action="store_true", help="rewrite the table from the saved results")
    parser.add_argument("--set", action="append", default=[], help="a setting for every run, e.g. embed.runtime=static")
    args = parser.parse_args()
    saved: dict[str, dict[str, Any]] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if not args.table_only:
        workloads = [w for w in args.workloads.split(",") if w]
        if unknown := set(workloads) - set(WORKLOADS):
            parser.error(f"--workloads: unknown {', '.join(sorted(unknown))}; choose from {', '.join(WORKLOADS)}")
        bench = Bench(Path(args.work), tuple(args.set))
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=ROOT).stdout.strip()
        stock = not args.no_stock
        plan: list[tuple[str, int | None]] = []
        for workload in workloads:
            if workload == "sentences":
                plan += [("sentences", int(s)) for s in args.sizes.split(",") if s]
            else:
                plan.append((workload, args.rerun_size if workload == "rerun" else None))
        for workload, size in plan:
            if workload == "posts":
                row = bench.posts(stock)
                row["documents"] = row["cold"]["documents"]
            elif workload == "sentences":
                assert size is not None
                row = bench.sentences(size, stock=stock, stock_e2e=stock and size <= args.stock_e2e_up_to,
                                      warm=not args.cold_only)
            elif workload == "rerun":
                assert size is not None
                row = bench.rerun(size, stock=stock)
            else:
                row = bench.learning()
            key = f"{workload} {size or ''} {' '.join(args.set)}".strip()
            # runs not measured now (stock BERTopic with --no-stock) keep their figures
            saved[key] = {**saved.get(key, {}), "workload": workload, "size": size, "settings": list(args.set),
                          "commit": commit, **row}
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps(saved, indent=2) + "\n", encoding="utf-8")
    print(table(saved))
    if args.write:
        write_section(saved)


if __name__ == "__main__":
    main()
