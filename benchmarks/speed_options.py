"""What each speed option costs in coding accuracy (issue 17), on the two shared coded sets.

    .venv/bin/python benchmarks/speed_options.py [--shared ../shared] [--write] [--options a,b] [--resamples 2000]

Every option is one set of ``--set`` overrides of a run; each is scored in the same folds as
``benchmarks/learning.py`` (usability: 3 folds of whole sessions; World after Covid: 5 folds of
whole participants), so nothing is tuned or scored on the session or participant it learned from:

- usability, zero-shot (the codebook only; ``learned`` without examples codes as ``calibrated``);
- usability, all coded passages of the other sessions as examples, ``learned`` with
  ``tune_epochs=0`` (MiniLM features from the option's runtime, plus multilingual-e5-small);
- World after Covid, all (answer, code) pairs of the other participants as examples,
  ``calibrated`` + context, micro-F1.

Intervals are 95% percentile intervals of a bootstrap that resamples whole sessions
(participants), and "vs fp32" is the paired difference from the first row (the fp32 model, the
earlier default) on the same resamples: an option whose difference interval holds 0 is not
measurably worse. ``align.window=segments`` builds a passage's
window vector as ``narratives run`` does, from the vectors of the sentences (of at least
``segment.min_words`` words) in its window text, instead of embedding the window text.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from learning import Unit, examples_of, folds, usability, world_after_covid

from narratives.align import build_aligner
from narratives.align.decisions import question_scope
from narratives.align.windows import blend_question_and_window
from narratives.config import RunConfig, load_config
from narratives.embed import build_embedder
from narratives.models import UNASSIGNED, Codebook, Example
from narratives.types import Embedder, Vectors

REPO = Path(__file__).resolve().parents[1]
HEADING = "## Speed options and coding accuracy (issue 17)"
RESULTS = REPO / "benchmarks" / "results" / "speed_options.json"
"""Each option's scores, read by ``benchmarks.scale`` to show them beside its speed."""
OPTIONS: dict[str, tuple[str, ...]] = {  # every setting named, so a change of defaults does not move a row
    "fp32 torch, window text (earlier default)": ("embed.runtime=torch", "align.window=text"),
    "align.window=segments": ("embed.runtime=torch", "align.window=segments"),
    "embed.runtime=onnx-int8": ("embed.runtime=onnx-int8", "align.window=text"),
    "onnx-int8 + window=segments (default)": ("embed.runtime=onnx-int8", "align.window=segments"),
    "embed.runtime=static + window=segments": ("embed.runtime=static", "align.window=segments"),
}


@dataclass
class Scored:
    """Per-unit outcomes, so a bootstrap can resample whole groups."""

    groups: np.ndarray
    hits: np.ndarray  # correct (single-label) or true positives (multi-label) per unit
    gold: np.ndarray  # 1 per unit (single-label) or gold codes per unit
    predicted: np.ndarray  # 1 per unit (single-label) or predicted codes per unit

    def value(self, rows: np.ndarray | None = None) -> float:
        r = slice(None) if rows is None else rows
        return float(2 * self.hits[r].sum() / max(1, self.gold[r].sum() + self.predicted[r].sum()))


def _sentences() -> Callable[[str], list[str]]:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return lambda text: [s.text.strip() for s in nlp(text).sents if s.text.strip()]


def features(encoders: Sequence[Embedder], units: Sequence[Unit], config: RunConfig,
             split: Callable[[str], list[str]]) -> Vectors:
    """The rows an aligner codes for ``units``, as ``narratives run`` builds them under ``config``."""
    weight = config.align.context_weight
    pairs = [(u.question, u.window or u.text) for u in units]
    parts = []
    for encoder in encoders:
        vectors = encoder.embed([u.text for u in units])
        windows: Vectors | None = None
        if config.align.window == "segments":
            pieces = []
            for u in units:
                kept = [s for s in split(u.window or u.text) if len(s.split()) >= config.segment.min_words]
                pieces.append(kept or [u.text])
            flat = encoder.embed([s for p in pieces for s in p])
            bounds = np.cumsum([0] + [len(p) for p in pieces])
            windows = np.vstack([flat[a:b].mean(axis=0) for a, b in itertools.pairwise(bounds)])
        parts.append(blend_question_and_window(vectors, pairs, encoder, weight, windows=windows) if weight else vectors)
    return parts[0] if len(parts) == 1 else np.hstack(parts).astype(np.float32)


def score_usability(config: RunConfig, emb: Embedder, book: Codebook, units: list[Unit], *, examples: bool,
                    split: Callable[[str], list[str]]) -> Scored:
    hits = np.zeros(len(units))
    for test in folds(units, 3):
        train = np.setdiff1d(np.arange(len(units)), test)
        learned: list[Example] = examples_of(units, train) if examples else []
        aligner = build_aligner(config.align, config.seed, embed=config.embed).fit(book, emb, learned)
        got = aligner.assign(features(aligner.encoders, [units[i] for i in test], config, split))
        for i, a in zip(test, got, strict=True):
            hits[i] = a.theme != UNASSIGNED and (a.subtheme or a.theme) == units[i].codes[0]
    ones = np.ones(len(units))
    return Scored(np.array([u.group for u in units]), hits, ones, ones)


def score_wac(config: RunConfig, emb: Embedder, book: Codebook, units: list[Unit],
              split: Callable[[str], list[str]]) -> Scored:
    ids = [e.id for e in book.entries]
    hits, gold, predicted = (np.zeros(len(units)) for _ in range(3))
    for test in folds(units, 5):
        train = np.setdiff1d(np.arange(len(units)), test)
        learned = examples_of(units, train)
        aligner = build_aligner(config.align, config.seed, embed=config.embed).fit(book, emb, learned)
        x = features(aligner.encoders, [units[i] for i in test], config, split)
        blocked = question_scope(learned, book, [units[i].question or "" for i in test])
        assigned, scores = aligner.assign(x, blocked=blocked), aligner.entry_scores(x)
        for i, a, row, block in zip(test, assigned, scores, blocked, strict=True):
            first = [] if a.theme == UNASSIGNED else [a.subtheme or a.theme]
            more = [ids[j] for j in np.argsort(-row) if row[j] >= aligner.multi_label_threshold and ids[j] not in block]
            codes = set(dict.fromkeys(first + more))
            hits[i], gold[i], predicted[i] = len(codes & set(units[i].codes)), len(units[i].codes), len(codes)
    return Scored(np.array([u.group for u in units]), hits, gold, predicted)


def resamples(groups: np.ndarray, n: int, seed: int = 0) -> list[np.ndarray]:
    """Row indices of ``n`` bootstrap draws of whole groups (the same draws for every option)."""
    names = sorted(set(groups))
    rows = {g: np.flatnonzero(groups == g) for g in names}
    rng = np.random.default_rng(seed)
    return [np.concatenate([rows[names[k]] for k in rng.integers(0, len(names), len(names))]) for _ in range(n)]


def interval(values: Sequence[float]) -> str:
    lo, hi = np.percentile(values, [2.5, 97.5])
    return f"[{lo:.3f}, {hi:.3f}]"


MEASURES = ("usability zero-shot, accuracy", "usability with examples (learned, frozen), accuracy",
            "World after Covid with examples (calibrated), micro-F1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--options", default=";".join(OPTIONS), help="some of the option names, separated by ;")
    parser.add_argument("--resamples", type=int, default=2000)
    args = parser.parse_args()
    chosen = [name for name in OPTIONS if name in args.options.split(";")]
    if not chosen:
        parser.error(f"--options: choose from {'; '.join(OPTIONS)}")
    split = _sentences()
    u_book, u_units = usability(args.shared)
    w_book, w_units = world_after_covid(args.shared)
    results: dict[str, list[Scored]] = {}
    seconds: dict[str, float] = {}
    for name in chosen:
        started = time.perf_counter()
        settings = list(OPTIONS[name])
        base = load_config(None, settings)
        emb = build_embedder(base.embed)
        frozen = load_config(None, [*settings, "align.tune_epochs=0"])
        calibrated = load_config(None, [*settings, "align.method=calibrated"])
        results[name] = [
            score_usability(base, emb, u_book, u_units, examples=False, split=split),
            score_usability(frozen, emb, u_book, u_units, examples=True, split=split),
            score_wac(calibrated, emb, w_book, w_units, split),
        ]
        seconds[name] = time.perf_counter() - started
        print(name, [round(s.value(), 3) for s in results[name]], f"{seconds[name]:.0f} s", file=sys.stderr, flush=True)
    default = next(iter(OPTIONS))
    draws = [resamples(s.groups, args.resamples) for s in next(iter(results.values()))]
    lines = ["| option | " + " | ".join(MEASURES) + " | seconds |", "| --- " * (len(MEASURES) + 2) + "|"]
    for name, scored in results.items():
        cells = []
        for k, s in enumerate(scored):
            cell = f"{s.value():.3f} {interval([s.value(r) for r in draws[k]])}"
            if name != default and default in results:
                base = results[default][k]
                cell += f"; vs fp32 {s.value() - base.value():+.3f} " + interval(
                    [s.value(r) - base.value(r) for r in draws[k]])
            cells.append(cell)
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {seconds[name]:.0f} |")
    text = "\n".join(lines)
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        name: {"settings": list(OPTIONS[name]), "seconds": round(seconds[name], 1),
               **{measure: round(s.value(), 3) for measure, s in zip(MEASURES, scored, strict=True)}}
        for name, scored in results.items()
    }, indent=2) + "\n", encoding="utf-8")
    if args.write:
        from readme import replace_section

        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=REPO).stdout.strip()
        notes = NOTES_FILE.read_text(encoding="utf-8") if NOTES_FILE.exists() else ""
        replace_section(HEADING, f"`.venv/bin/python benchmarks/speed_options.py --write` (commit {commit}; 2 cores). "
                        "Folds: usability 3 folds of whole sessions, World after Covid 5 folds of whole participants; "
                        f"intervals: {args.resamples} bootstrap draws of whole sessions / participants.\n\n"
                        f"{text}\n\n{notes}")


NOTES_FILE = REPO / "benchmarks" / "speed_options_notes.md"

if __name__ == "__main__":
    main()
