"""A new user's first round on the demo corpus (issue 29): a zero-shot run, a round of decisions on
what `narratives export` hands a coder, a re-run. How long the re-run takes, what moved, and whether
the coding of the passages no coder saw got better.

    .venv/bin/python benchmarks/demo_round.py [--sample quotes|uncertain] [--n 40]

The decisions come from ``benchmarks/data/demo-gold.csv`` (our own gold codes of 84 demo passages):
a handed-out passage that has a gold code is accepted when the proposal is that code, recoded to it
otherwise, and rejected (no code fits) when its gold is ``unassigned``; handed-out passages without a
gold code are skipped, as a coder may skip rows. Runs use the user-wide cache, so the re-run is warm
as a researcher's second run is.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from narratives import run
from narratives.coders.export import export_run

REPO = Path(__file__).resolve().parents[1]


def gold_codes() -> dict[tuple[str, int, int], str]:
    with (REPO / "benchmarks/data/demo-gold.csv").open(encoding="utf-8") as fh:
        return {(r["document"], int(r["start"]), int(r["end"])): r["code"] for r in csv.DictReader(fh)}


def coding_of(segments: pd.DataFrame) -> dict[tuple[str, int, int], str]:
    coded = segments[segments["status"] == "coded"]
    return {(str(r.doc_id), int(r.start), int(r.end)): str(r.subtheme if isinstance(r.subtheme, str) and r.subtheme
                                                            else r.theme) for r in coded.itertuples()}


def _key(segments: pd.DataFrame, row: dict[str, str]) -> tuple[str, int, int]:
    seg = segments.loc[row["unit_id"]]
    return str(seg["doc_id"]), int(seg["start"]), int(seg["end"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", choices=["gold", "quotes", "uncertain"], default="gold",
                        help="gold: n of the gold passages at random (seed 0); quotes / uncertain: what export "
                             "--sample / --sample-uncertain hands out, where it has a gold code")
    parser.add_argument("--n", type=int, default=40)
    args = parser.parse_args()
    gold = gold_codes()
    common = dict(manifest=REPO / "corpora/demo/manifest.csv", config=REPO / "configs/demo.yaml")
    book = REPO / "configs/codebooks/physician-migration.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        first_dir, second_dir = Path(tmp) / "run-1", Path(tmp) / "run-2"
        first = run([REPO / "corpora/demo"], book, out=first_dir, **common)  # type: ignore[arg-type]
        draw = {"quotes": {"sample": args.n}, "uncertain": {"sample_uncertain": args.n}}.get(args.sample, {
            "units": "coded"})
        sheet = export_run(first_dir, "csv", Path(tmp) / "round-1.csv", **draw).files[0]  # type: ignore[arg-type]
        with sheet.open(encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
        segments = first.segments_frame().set_index("segment_id")
        if args.sample == "gold":
            import random

            keyed = [r for r in rows if _key(segments, r) in gold]
            rows = random.Random(0).sample(keyed, min(args.n, len(keyed)))
        decided, filled = set(), []
        for row in rows:
            key = _key(segments, row)
            if key not in gold:
                continue
            decided.add(key)
            code = "none" if gold[key] == "unassigned" else gold[key]
            if code == row["proposed_code"]:
                row.update(decision="accept", recode_to="")
            elif code == "none":
                row.update(decision="reject", recode_to="")
            elif code == row["proposed_code"]:
                row.update(decision="accept", recode_to="")
            else:
                row.update(decision="recode", recode_to=code)
            filled.append(row)
        decisions = Path(tmp) / "decisions.csv"
        with decisions.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(filled)
        started = time.perf_counter()
        second = run([REPO / "corpora/demo"], book, out=second_dir, examples=decisions, compare=first_dir,
                     **common)  # type: ignore[arg-type]
        seconds = time.perf_counter() - started
        before, after = coding_of(first.segments_frame()), coding_of(second.segments_frame())
        gold = {k: ("unassigned" if v == "none" else v) for k, v in gold.items()}
        unseen = [k for k in gold if k not in decided and k in before]
        ok0 = sum(before[k] == gold[k] for k in unseen)
        ok1 = sum(after[k] == gold[k] for k in unseen)
        broke = sum(before[k] == gold[k] and after[k] != gold[k] for k in unseen)
        fixed = sum(before[k] != gold[k] and after[k] == gold[k] for k in unseen)
        kinds = pd.Series([r["decision"] for r in filled]).value_counts().to_dict()
        changes = second.changes
        drawn = {"gold": "gold passages at random", "quotes": "export --sample",
                 "uncertain": "export --sample-uncertain"}[args.sample]
        print(f"| demo, {args.n} {drawn} | {len(filled)} "
              f"({kinds}) | {ok0}/{len(unseen)} → {ok1}/{len(unseen)} | {broke} / {fixed} | "
              f"{changes.theme_moved if changes else '?'} of {changes.compared if changes else '?'} | "
              f"{changes.largest_shifts() if changes else ''} | {seconds:.1f} |")
        print(second.aligner.get("check"), file=sys.stderr)
        print({k: round(v, 1) for k, v in second.timings.items()}, file=sys.stderr)


if __name__ == "__main__":
    main()
