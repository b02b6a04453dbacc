"""Theme prevalence from a verified random sample (issue 15): interval coverage and width.

    .venv/bin/python benchmarks/prevalence.py [--shared ../shared] [--draws 500] [--write]

The usability think-aloud set (1,000 coded passages, 22 codes, sessions P1-P9) is the corpus, one
passage per segment; its coders' codes are the truth. The machine labels every passage, then each
draw verifies a uniform random sample of 50, 100 or 200 passages (the coders' code stands in for a
coder checking the sheet) and estimates each code's share of the 1,000 passages:

- **corrected**: ``narratives prevalence``'s estimator (PPI++ with the finite-population correction,
  ``narratives.prevalence.estimator.ppi_share``);
- **verified only**: the same with no weight on the machine (``lam=0``): the sample alone.

Coverage counts, over all draws and all 22 codes, how often the 95% interval holds the code's true
share; width is the mean interval width (in share points). Two sources of machine labels:

- **zero-shot**: the default aligner with the codebook only (no examples), as a first run gives;
- **with examples, out of fold by session**: the learned aligner without fine-tuning
  (``align.tune_epochs=0``) fitted on the other sessions' passages, 3 folds of 3 sessions — every
  passage is labelled by a model that never saw its session.

``--write`` replaces the section "## Prevalence from a verified sample (issue 15)" of
``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.learning import folds, run_method, usability
from benchmarks.readme import replace_section

from narratives.config import RunConfig, load_config
from narratives.embed import build_embedder
from narratives.prevalence.estimator import ppi_share

REPO = Path(__file__).resolve().parents[1]
HEADING = "## Prevalence from a verified sample (issue 15)"
SIZES = (50, 100, 200)


def machine_labels(shared: Path) -> tuple[list[str], list[str], dict[str, list[str]], dict[str, float]]:
    """The truth, the code ids, and each labelling's code per passage ("" when unassigned)."""
    book, units = usability(shared)
    truth = [u.codes[0] for u in units]
    emb = build_embedder(RunConfig().embed)
    labels: dict[str, list[str]] = {}
    seconds: dict[str, float] = {}
    every = np.arange(len(units))
    started = time.perf_counter()
    assigned, _ = run_method(load_config(None, []), emb, book, units, np.array([], dtype=int), every, False)
    labels["zero-shot (codebook only)"] = [a.subtheme or a.theme if a.theme != "unassigned" else "" for a in assigned]
    seconds["zero-shot (codebook only)"] = time.perf_counter() - started
    started = time.perf_counter()
    out = [""] * len(units)
    config = load_config(None, ["align.tune_epochs=0"])
    for test in folds(units, 3):
        train = np.setdiff1d(every, test)
        got, _ = run_method(config, emb, book, units, train, test, False)
        for i, a in zip(test, got, strict=True):
            out[i] = a.subtheme or a.theme if a.theme != "unassigned" else ""
    name = "with examples (learned, frozen), 3 folds by session"
    labels[name], seconds[name] = out, time.perf_counter() - started
    return truth, [e.id for e in book.entries], labels, seconds


def simulate(truth: list[str], codes: list[str], machine: list[str], draws: int, seed: int) -> list[dict]:
    y_all = {c: np.array([t == c for t in truth], dtype=float) for c in codes}
    m_all = {c: np.array([m == c for m in machine], dtype=float) for c in codes}
    rng = np.random.default_rng(seed)
    rows = []
    for n in SIZES:
        cover = {"ppi": [], "alone": []}
        width = {"ppi": [], "alone": []}
        per_code = {c: [] for c in codes}
        for _ in range(draws):
            sample = rng.choice(len(truth), n, replace=False)
            for c in codes:
                target = y_all[c].mean()
                for key, lam in (("ppi", None), ("alone", 0.0)):
                    est = ppi_share(y_all[c][sample], m_all[c][sample], m_all[c], lam=lam)
                    hit = est.low <= target <= est.high
                    cover[key].append(hit)
                    width[key].append(est.high - est.low)
                    if key == "ppi":
                        per_code[c].append(hit)
        rows.append({
            "n": n,
            "coverage": np.mean(cover["ppi"]), "width": np.mean(width["ppi"]),
            "worst": min(np.mean(v) for v in per_code.values()),
            "coverage_alone": np.mean(cover["alone"]), "width_alone": np.mean(width["alone"]),
        })
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    truth, codes, labels, seconds = machine_labels(args.shared)
    lines = ["| machine labels | accuracy | mean abs. error of raw machine shares | verified | coverage, corrected "
             "(worst code) | width, corrected | coverage, verified only | width, verified only |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, machine in labels.items():
        accuracy = np.mean([m == t for m, t in zip(machine, truth, strict=True)])
        errors = [abs(np.mean([m == c for m in machine]) - np.mean([t == c for t in truth])) for c in codes]
        for i, r in enumerate(simulate(truth, codes, machine, args.draws, seed=0)):
            lines.append(
                f"| {name if i == 0 else ''} | {f'{accuracy:.3f}' if i == 0 else ''} | "
                f"{f'{np.mean(errors) * 100:.1f} (worst {max(errors) * 100:.1f}) points' if i == 0 else ''} | "
                f"{r['n']} | "
                f"{r['coverage']:.3f} ({r['worst']:.3f}) | {r['width'] * 100:.1f} points | "
                f"{r['coverage_alone']:.3f} | {r['width_alone'] * 100:.1f} points |")
        print(f"{name}: labelled in {seconds[name]:.0f} s", file=sys.stderr)
    table = "\n".join(lines)
    print(table)
    if args.write:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=REPO).stdout.strip()
        body = (f"`.venv/bin/python benchmarks/prevalence.py --draws {args.draws} --write` (commit {commit}; "
                f"2 cores). The usability set's 1,000 passages as the corpus (one passage per segment, the "
                f"coders' codes as the truth), {args.draws} random verified samples per size, the 22 codes' "
                f"shares each; 95% intervals.\n\n{table}\n\n{NOTES}")
        replace_section(HEADING, body)


NOTES = """\
Reading the table:

- **Coverage** is over all draws and all 22 codes (a nominal 95% interval should hold the true share in
  about 95% of them); in brackets the code with the lowest coverage. **Width** is the mean width of the
  interval. "Verified only" is the verified sample's own estimate (the machine ignored), with the same
  small-sample variance floor; it is the figure to beat.
- The corrected estimate puts weight on the machine's labels only as far as they agree with the coder on
  the sample, so a weak machine gains little and never costs width; the better the machine, the narrower.
- **Mean abs. error of raw machine shares**: how far the machine's own counts are from the truth,
  averaged over codes (and for the worst code) — what a report of raw counts would be off by, with
  nothing to say so.
- Folds for the labels with examples are by session (3 folds of 3 sessions), never by passage."""


if __name__ == "__main__":
    main()
