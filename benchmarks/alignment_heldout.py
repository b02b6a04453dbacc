"""Measure the prototype aligner (not a test; run by hand to tune thresholds).

    .venv/bin/python benchmarks/alignment_heldout.py [--shared ../shared]

Reports, with the real all-MiniLM-L6-v2 model:
- the held-out passages in ``tests/align/data`` (invented; not the codebook examples):
  theme and subtheme accuracy, and for a grid of thresholds the share of on-topic
  passages kept (and correct) and of off-topic passages left unassigned;
- cluster scores for ground-truth clusters of the held-out set and an off-topic cluster;
- zero-shot accuracy on the usability think-aloud benchmark (22 codes, 1,000 passages).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

from narratives.align import PrototypeAligner, load_codebook, slugify
from narratives.embed import SentenceTransformerEmbedder, resolve_model
from narratives.models import UNASSIGNED

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "align" / "data"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def heldout(emb: SentenceTransformerEmbedder, top_k: int) -> None:
    cb = load_codebook(REPO / "configs/codebooks/physician-migration.yaml")
    on = read_csv(DATA / "heldout_passages.csv")
    off = [r["text"] for r in read_csv(DATA / "offtopic_passages.csv")]
    aligner = PrototypeAligner(threshold=0.0, top_k=top_k).fit(cb, emb)
    x_on = emb.embed([r["text"] for r in on])
    x_off = emb.embed(off)
    a_on = aligner.assign(x_on)
    a_off = aligner.assign(x_off)
    gold_sub = [r["subtheme"] for r in on]
    gold_theme = [cb.top_level(s) for s in gold_sub]
    theme_ok = np.array([a.best_theme == g for a, g in zip(a_on, gold_theme, strict=True)])
    sub_ok = np.array([a.best_subtheme == g for a, g in zip(a_on, gold_sub, strict=True)])
    s_on = np.array([a.score for a in a_on])
    s_off = np.array([a.score for a in a_off])
    print(f"\n== held-out, top_k={top_k}: {len(on)} on-topic, {len(off)} off-topic")
    print(f"theme accuracy {theme_ok.mean():.3f}  subtheme accuracy {sub_ok.mean():.3f}")
    print(f"on-topic scores  min {s_on.min():.3f} p10 {np.percentile(s_on, 10):.3f} "
          f"median {np.median(s_on):.3f}")
    print(f"off-topic scores max {s_off.max():.3f} p90 {np.percentile(s_off, 90):.3f} "
          f"median {np.median(s_off):.3f}")
    for t in (0.25, 0.28, 0.30, 0.32, 0.35, 0.38, 0.40):
        kept = s_on >= t
        print(f"  threshold {t:.2f}: on-topic kept {kept.mean():.3f}, kept & theme right "
              f"{(kept & theme_ok).mean():.3f}, off-topic unassigned {(s_off < t).mean():.3f}")
    for r, a, ok in zip(on, a_on, theme_ok, strict=True):
        if not ok or a.score < 0.35:
            print(f"    miss/low: gold={r['subtheme']} got={a.best_subtheme} {a.score:.3f} {r['text'][:60]}")
    for text, a in zip(off, a_off, strict=True):
        print(f"    off: {a.score:.3f} {a.best_subtheme} | {text[:60]}")
    # clusters: one per gold theme, and one of off-topic passages
    football = [
        "Did you see the goal in the second half? The striker was unbelievable.",
        "Manchester City are top of the league again this season.",
        "We play five-a-side football every Sunday morning in the park.",
        "The referee gave a penalty in the last minute and the fans went mad.",
    ]
    labels = np.array([cb.themes.index(cb.get(g)) for g in gold_theme] + [99] * len(off) + [98] * 4)
    clusters = aligner.assign_clusters(labels, np.vstack([x_on, x_off, emb.embed(football)]))
    for c, a in clusters.items():
        gold = cb.themes[c].id if c < 98 else f"{UNASSIGNED} ({'small talk' if c == 99 else 'football'})"
        print(f"  cluster {gold:30s} -> {a.best_theme:30s} {a.score:.3f}")


def usability(emb: SentenceTransformerEmbedder, shared: Path, top_k: int) -> None:
    base = shared / "benchmarks/usability-think-aloud"
    cb = load_codebook(base / "codebook.csv")
    rows = read_csv(base / "coded_passages.csv")
    gold = [slugify(r["tag"]) for r in rows]
    x = emb.embed([r["content"] for r in rows])
    aligner = PrototypeAligner(threshold=0.0, top_k=top_k).fit(cb, emb)
    pred = [a.best_theme for a in aligner.assign(x)]
    acc = np.mean([p == g for p, g in zip(pred, gold, strict=True)])
    # the published baseline: tag + description, one prototype, cosine argmax
    protos = emb.embed([f"{t.label} {t.definition}" for t in cb.entries])
    base_pred = np.argmax(x @ protos.T, axis=1)
    base_acc = np.mean([cb.entries[i].id == g for i, g in zip(base_pred, gold, strict=True)])
    print(f"\n== usability think-aloud zero-shot, {len(rows)} passages, 22 codes: "
          f"prototype aligner {acc:.3f}; tag+description cosine {base_acc:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--top-k", type=int, nargs="*", default=[3])
    args = parser.parse_args()
    emb = SentenceTransformerEmbedder(resolve_model("all-MiniLM-L6-v2"))
    for t in args.top_k:
        heldout(emb, t)
        if args.shared.is_dir():
            usability(emb, args.shared, t)


if __name__ == "__main__":
    main()
