"""Learning from coders' examples (issue 12): learning curves on the two shared coded sets.

    .venv/bin/python benchmarks/learning.py [--shared ../shared] [--write] [--sizes 100,200,400,all]
        [--only usability|wac] [--methods baseline,calibrated,frozen,learned]

Folds never put a session (usability) or a participant (World after Covid) on both sides: every
passage is scored by a model fitted on other sessions' or participants' passages only.

- **usability think-aloud** (1,000 passages, 22 codes, sessions P1-P9): 3 folds of 3 sessions
  each (train on 6 sessions, about 667 passages). At each training size the examples are a
  seeded random subset of the 6 sessions' passages. Passages are coded in their context (the
  moderator's task line and the surrounding text, found in the transcripts), as ``narratives
  run`` codes a segment.
- **World after Covid** (141 answers, 295 (answer, code) pairs, 58 codes used of 60, 29
  participants, multi-label): 5 folds by participant; sizes count (answer, code) pairs. The
  question each answer replies to restricts its codes to the themes that question's training
  answers used (``narratives.align.decisions.question_scope``).

Methods, side by side at each size:

- baseline: frozen all-MiniLM-L6-v2 + scikit-learn logistic regression on the passage alone
  (for the multi-label set one-vs-rest, class-balanced, each code predicted at p >= 0.5:
  without balancing it predicts no code at all);
- ``calibrated`` + context: the earlier default aligner;
- ``learned``, frozen: MiniLM + multilingual-e5-small features, the classifier with the codebook
  as prior, Platt-calibrated out of fold (``align.tune_epochs=0``);
- ``learned`` (default): the same with MiniLM fine-tuned on the examples (``align.tune_epochs=2``).

``--write`` replaces the section "## Learning from coders (issue 12)" of ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import csv
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from narratives.align import build_aligner, load_codebook
from narratives.align.decisions import question_scope
from narratives.align.windows import example_features, locate
from narratives.config import RunConfig, load_config
from narratives.embed import build_embedder
from narratives.models import UNASSIGNED, Assignment, Codebook, Example
from narratives.types import Embedder

REPO = Path(__file__).resolve().parents[1]
HEADING = "## Learning from coders (issue 12)"


@dataclass
class Unit:
    """One coded passage: text, gold codes, group (session/participant), question, context."""

    text: str
    codes: tuple[str, ...]
    group: str
    question: str | None
    window: str | None


def usability(shared: Path) -> tuple[Codebook, list[Unit]]:
    from narratives.codebook import slugify
    from narratives.loaders import load_corpus

    base = shared / "benchmarks/usability-think-aloud"
    book = load_codebook(base / "codebook.csv")
    rows = list(csv.DictReader((base / "coded_passages.csv").open(encoding="utf-8")))
    texts = [" ".join(r["content"].split()) for r in rows]
    docs = load_corpus([base / "transcripts"]).documents
    found = locate(texts, docs, [r["document"] for r in rows])
    units = []
    for r, t, where in zip(rows, texts, found, strict=True):
        q, w = where if where else (None, None)
        units.append(Unit(t, (slugify(r["tag"]),), r["document"].split("_")[0], q, w))
    return book, units


def world_after_covid(shared: Path) -> tuple[Codebook, list[Unit]]:
    base = shared / "benchmarks/world-after-covid"
    book = load_codebook(base / "codebook.csv")
    index = {e.label: e.id for e in book.entries}
    units: dict[str, Unit] = {}
    for r in csv.DictReader((base / "coded_answers.csv").open(encoding="utf-8")):
        if r["coder"] != "consensus":
            continue
        u = units.setdefault(r["id"], Unit(" ".join(r["text"].split()), (), r["document"], r["id"].split("|")[1], None))
        u.codes = (*u.codes, index[r["code"]])
    return book, list(units.values())


def folds(units: Sequence[Unit], k: int) -> list[np.ndarray]:
    """Test rows of each fold: whole groups, assigned round-robin in sorted order (deterministic)."""
    groups = sorted({u.group for u in units})
    fold_of = {g: i % k for i, g in enumerate(groups)}
    return [np.array([i for i, u in enumerate(units) if fold_of[u.group] == f]) for f in range(k)]


def examples_of(units: Sequence[Unit], rows: Sequence[int]) -> list[Example]:
    return [
        Example(units[i].text, code, True, units[i].group, coder="gold", question=units[i].question,
                window=units[i].window)
        for i in rows for code in units[i].codes
    ]


def subset(units: Sequence[Unit], rows: np.ndarray, size: int | None, seed: int) -> np.ndarray:
    """Training rows with at most ``size`` (passage, code) pairs, a seeded random choice of passages."""
    if size is None:
        return rows
    order = np.random.default_rng(seed).permutation(rows)
    out, pairs = [], 0
    for i in order:
        if pairs + len(units[i].codes) > size:
            break
        out.append(i)
        pairs += len(units[i].codes)
    return np.sort(np.array(out))


def baseline(emb: Embedder, units: Sequence[Unit], train: np.ndarray, test: np.ndarray, ids: list[str],
             multi: bool) -> list[tuple[str, ...]]:
    from sklearn.linear_model import LogisticRegression

    x = emb.embed([u.text for u in units])
    if not multi:
        y = [units[i].codes[0] for i in train]
        model = LogisticRegression(max_iter=3000).fit(x[train], y)
        return [(c,) for c in model.predict(x[test])]
    out: list[list[str]] = [[] for _ in test]
    for code in ids:
        y = np.array([code in units[i].codes for i in train])
        if y.sum() == 0:
            continue
        p = LogisticRegression(max_iter=3000, class_weight="balanced").fit(x[train], y).predict_proba(x[test])[:, 1]
        for j in np.flatnonzero(p >= 0.5):
            out[j].append(code)
    return [tuple(o) for o in out]


def run_method(config: RunConfig, emb: Embedder, book: Codebook, units: Sequence[Unit], train: np.ndarray,
               test: np.ndarray, multi: bool) -> tuple[list[Assignment], list[tuple[str, ...]]]:
    examples = examples_of(units, train)
    aligner = build_aligner(config.align, config.seed, embed=config.embed).fit(book, emb, examples)
    coded = [Example(units[i].text, "", window=units[i].window, question=units[i].question) for i in test]
    features = example_features(aligner.encoders, coded, config.align.context_weight)
    blocked = question_scope(examples, book, [units[i].question or "" for i in test]) if multi else None
    assigned = aligner.assign(features, blocked=blocked)
    ids = [e.id for e in book.entries]
    scores = aligner.entry_scores(features)
    sets = []
    for a, row, block in zip(assigned, scores, blocked or [frozenset()] * len(test), strict=True):
        first = [] if a.theme == UNASSIGNED else [a.subtheme or a.theme]
        more = [ids[j] for j in np.argsort(-row) if row[j] >= aligner.multi_label_threshold and ids[j] not in block]
        sets.append(tuple(dict.fromkeys(first + more)))
    return assigned, sets


def single_scores(units: Sequence[Unit], rows: np.ndarray, assigned: Sequence[Assignment] | None,
                  predicted: Sequence[tuple[str, ...]]) -> dict[str, str]:
    gold = [units[i].codes[0] for i in rows]
    pred = [p[0] if p else UNASSIGNED for p in predicted]
    ok = np.array([p == g for p, g in zip(pred, gold, strict=True)])
    out = {"accuracy": f"{ok.mean():.3f}"}
    if assigned is None:
        out["high"] = "n/a (no calibrated score)"
        return out
    s = np.array([a.score for a in assigned])
    hi = s >= 0.8
    out["high"] = f"{ok[hi].mean():.2f} ({hi.mean():.0%})" if hi.any() else "- (0%)"
    return out


def set_f1(units: Sequence[Unit], rows: np.ndarray, predicted: Sequence[tuple[str, ...]]) -> dict[str, str]:
    tp = sum(len(set(units[i].codes) & set(p)) for i, p in zip(rows, predicted, strict=True))
    n_gold = sum(len(units[i].codes) for i in rows)
    n_pred = sum(len(p) for p in predicted)
    codes = sorted({c for i in rows for c in units[i].codes})
    f1s = []
    for c in codes:
        g = np.array([c in units[i].codes for i in rows])
        p = np.array([c in q for q in predicted])
        f1s.append(2 * (g & p).sum() / max(1, g.sum() + p.sum()))
    return {"accuracy": f"micro-F1 {2 * tp / max(1, n_gold + n_pred):.3f}, macro-F1 {np.mean(f1s):.3f}",
            "high": f"{n_pred / len(rows):.2f} codes per answer (gold {n_gold / len(rows):.2f})"}


METHODS = {
    "baseline": ("baseline: frozen MiniLM + logistic regression", None),
    "calibrated": ("calibrated + context (earlier default)", ["align.method=calibrated"]),
    "frozen": ("learned, frozen (MiniLM + e5), tune_epochs=0", ["align.tune_epochs=0"]),
    "learned": ("learned (default: MiniLM tuned 2 epochs + e5)", []),
}


def learning_curve(
    name: str, book: Codebook, units: list[Unit], k: int, sizes: list[int | None], multi: bool, emb: Embedder,
    only: Sequence[str] = tuple(METHODS),
) -> list[tuple[str, str, str, dict[str, str], float]]:
    ids = [e.id for e in book.entries]
    methods: list[tuple[str, RunConfig | None]] = [
        (label, None if overrides is None else load_config(None, overrides))
        for key, (label, overrides) in METHODS.items() if key in only
    ]
    test_folds = folds(units, k)
    rows: list[tuple[str, str, str, dict[str, str], float]] = []
    for size in sizes:
        for label, config in methods:
            started = time.perf_counter()
            predicted: list[tuple[str, ...]] = [()] * len(units)
            assigned: list[Assignment | None] = [None] * len(units)
            n_train = []
            for f, test in enumerate(test_folds):
                train_all = np.setdiff1d(np.arange(len(units)), test)
                train = subset(units, train_all, size, seed=f)
                n_train.append(sum(len(units[i].codes) for i in train))
                if config is None:
                    got = baseline(emb, units, train, test, ids, multi)
                    for i, p in zip(test, got, strict=True):
                        predicted[i] = p
                    continue
                a, sets = run_method(config, emb, book, units, train, test, multi)
                for i, x, p in zip(test, a, sets, strict=True):
                    assigned[i], predicted[i] = x, p
            every = np.arange(len(units))
            scores = set_f1(units, every, predicted) if multi else single_scores(
                units, every, None if config is None else [a for a in assigned if a is not None], predicted)
            shown = "all" if size is None else str(size)
            rows.append((name, f"{shown} (mean {np.mean(n_train):.0f} per fold)", label, scores,
                         time.perf_counter() - started))
            print(rows[-1], file=sys.stderr, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--sizes", default="100,200,400,all")
    parser.add_argument("--only", choices=["usability", "wac"], default=None)
    parser.add_argument("--methods", default=",".join(METHODS), help=f"some of {', '.join(METHODS)}")
    args = parser.parse_args()
    only = args.methods.split(",")
    sizes = [None if s == "all" else int(s) for s in args.sizes.split(",")]
    emb = build_embedder(RunConfig().embed)
    table = []
    if args.only in (None, "usability"):
        book, units = usability(args.shared)
        table += learning_curve("usability, 3 folds by session (test: 3 unseen sessions)", book, units, 3, sizes,
                                False, emb, only)
    if args.only in (None, "wac"):
        book, units = world_after_covid(args.shared)
        table += learning_curve("World after Covid, 5 folds by participant, multi-label", book, units, 5,
                                [s for s in sizes if s is None or s < 236], True, emb, only)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=REPO).stdout.strip()
    lines = ["| data | examples (pairs) | method | accuracy / F1 | >=0.8 right (share) / codes per unit | seconds |",
             "| --- | --- | --- | --- | --- | --- |"]
    last = ("", "")
    for data, size, method, scores, seconds in table:
        lines.append(f"| {data if data != last[0] else ''} | {size if (data, size) != last else ''} | {method} | "
                     f"{scores['accuracy']} | {scores['high']} | {seconds:.0f} |")
        last = (data, size)
    text = "\n".join(lines)
    print(text)
    if args.write:
        readme = REPO / "benchmarks" / "README.md"
        old = readme.read_text(encoding="utf-8")
        section = (f"{HEADING}\n\n`.venv/bin/python benchmarks/learning.py --write` (commit {commit}; 2 cores)\n\n"
                   f"{text}\n\n{NOTES}")
        pattern = re.compile(re.escape(HEADING) + r".*?(?=\n## |\Z)", re.S)
        new = pattern.sub(lambda _: section, old) if HEADING in old else old.rstrip("\n") + "\n\n" + section
        readme.write_text(new, encoding="utf-8")


NOTES = """\
Reading the table:

- **Accuracy** counts `unassigned` (score below the 0.25 threshold) as wrong, as `narratives evaluate`
  does; the baseline has no threshold and never abstains.
- **>=0.8 right (share)**: among passages scored at least 0.8, the share whose code is right, and the
  share of passages that reach 0.8. The learned aligner's scores are Platt-calibrated out of fold on
  its own training examples (5 folds of whole sessions), never on the test sessions.
- **World after Covid** reports micro- and macro-F1 over (answer, code) pairs, and how many codes the
  method gives an answer against the consensus coders' 2.09. A code joins an answer when its probability
  reaches the threshold chosen out of fold for the best micro-F1, and only codes whose theme (question
  group) the training answers to that question used are allowed.
- **Seconds**: wall time of the three or five folds together on the shared 2-core machine, including
  fine-tuning (cached models are not reused across sizes: each size is a new example set).
- Tune on these sets, never to them: the held-out sessions P10-P17 and the other half of World after
  Covid are measured outside the project."""


if __name__ == "__main__":
    main()
