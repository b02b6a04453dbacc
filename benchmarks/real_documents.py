"""Our pipeline vs stock BERTopic on the four real documents in ../shared/corpora/real.

Both get the same sentences (our loaders and segmenter) and the same all-MiniLM-L6-v2
embeddings; stock BERTopic runs with its defaults. Prints a Markdown table of topics,
largest-topic share, outlier share and sample labels.

    .venv/bin/python benchmarks/real_documents.py [--seeds 3]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

import narratives

REAL = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "real"
CODEBOOK = Path(__file__).resolve().parents[1] / "configs" / "codebooks" / "migration-literature.yaml"
JUNK = re.compile(r"(?:^|[\W_])(?:the|and|of|in|to|doi|et al|\d{4,})(?=$|[\W_])", re.IGNORECASE)


def raw_sentences() -> list[str]:
    """What a stock run sees: every line of the raw files, split into sentences, furniture and all."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    lines = [line.strip() for path in sorted(REAL.glob("*.*")) if path.name != "README.md"
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [s.text.strip() for doc in nlp.pipe(lines) for s in doc.sents if s.text.strip()]


def stock(texts: list[str], embeddings: np.ndarray) -> tuple[np.ndarray, list[str]]:
    from bertopic import BERTopic

    model = BERTopic(verbose=False)
    topics, _ = model.fit_transform(texts, embeddings)
    info = model.get_topic_info()
    return np.asarray(topics), [str(n) for n in info.loc[info["Topic"] >= 0, "Name"]]


def describe(name: str, labels: np.ndarray, names: list[str], seconds: float) -> str:
    n = len(labels)
    sizes = Counter(int(x) for x in labels if x >= 0)
    largest = max(sizes.values(), default=0) / n
    junk = sum(bool(JUNK.search(label)) for label in names)
    sample = "; ".join(names[:3])
    return (f"| {name} | {n} | {len(sizes)} | {largest:.0%} | {np.mean(labels < 0):.0%} | "
            f"{junk} of {len(names)} | {seconds:.1f} | {sample} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    if not REAL.is_dir():
        print(f"{REAL} is absent; nothing to compare", file=sys.stderr)
        return 1
    print("| run | sentences | topics | largest topic | outliers | labels with stop-words/DOIs/years | "
          "fit s | first labels |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for seed in range(42, 42 + args.seeds):
        config = narratives.load_config(None, [f"seed={seed}"])
        started = time.perf_counter()
        result = narratives.run([REAL], CODEBOOK, config=config)
        coded = np.flatnonzero(np.asarray(result.status) == "coded")
        ours = result.clusters[coded]
        names = [t.label for t in result.topics if t.cluster >= 0]
        print(describe(f"narratives (seed {seed})", ours, names, result.timings["cluster"]))
        if seed == 42:
            texts = [result.segments[i].text for i in coded]
            started = time.perf_counter()
            labels, stock_names = stock(texts, result.embeddings)
            print(describe("stock BERTopic, our sentences", labels, stock_names, time.perf_counter() - started))
            raw = raw_sentences()
            embedder = narratives.build_embedder(config.embed)
            raw_embeddings = embedder.embed(raw)
            started = time.perf_counter()
            labels, stock_names = stock(raw, raw_embeddings)
            print(describe("stock BERTopic, raw files", labels, stock_names, time.perf_counter() - started))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
