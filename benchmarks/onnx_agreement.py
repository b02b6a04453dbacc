"""Faster embedding runtimes (issue 6): speed, and agreement of theme assignments with torch.

    .venv/bin/python benchmarks/onnx_agreement.py [--write] [--sentences 2000] [--corpus 3000]

For each runtime (``torch``, the default; ``onnx``, fp32; ``onnx-int8``, dynamically
quantised), with every export and cache in a temporary folder:

- speed: texts/s embedding ``--sentences`` newsgroup sentences (posts in a seeded order,
  split by spaCy's blank sentencizer as ``benchmarks/scale/newsgroups.py`` does) after a
  warm-up, the one-off export time, and the cold load measured in a fresh process with
  the export already on disk; the cosine between each sentence's vector and torch's;
- agreement: ``narratives.pipeline.run`` on the demo corpus (``configs/demo.yaml``) and on
  a ``--corpus``-sentence newsgroup corpus (``benchmarks.scale.newsgroups.build``, seed 0)
  coded with ``benchmarks/data/newsgroups-codebook.yaml`` (default config): the share of
  coded segments whose theme (``unassigned`` included) and subtheme equal torch's.

Issue 6 offered a runtime only with at least 99.0% theme agreement with torch on both corpora;
issue 17 gates runtimes on accuracy against the coders instead (``benchmarks/speed_options.py``),
so the last column now says only whether that agreement was reached. ``--write`` replaces the
section "## Faster embedding backends (issue 6)" of ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from narratives.config import EmbedConfig, RunConfig, load_config
from narratives.embed import RUNTIMES, resolve_model
from narratives.embed.onnx_runtime import default_threads
from narratives.models import Assignment

REPO = Path(__file__).resolve().parents[1]
SECTION = "## Faster embedding backends (issue 6)"
RUNTIME_NAMES = ("torch", "onnx", "onnx-int8")
GATE = 0.99
DEMO_CODEBOOK = REPO / "configs" / "codebooks" / "physician-migration.yaml"
NEWSGROUPS_CODEBOOK = REPO / "benchmarks" / "data" / "newsgroups-codebook.yaml"


@dataclass
class Measured:
    """One runtime's figures."""

    runtime: str
    identity: str = ""
    texts_per_s: float = 0.0
    load_s: float = 0.0
    export_s: float | None = None
    cos_min: float = 1.0
    cos_mean: float = 1.0
    codes: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    """Corpus name → (theme, subtheme) of each coded segment."""
    gold_accuracy: float | None = None
    """Newsgroups: share of coded sentences given their post's group as theme."""


def embed_config(runtime: str, base: EmbedConfig | None = None) -> EmbedConfig:
    """``base`` with ``runtime``, built without validation.

    The config offers only the runtimes that passed this benchmark, and the benchmark must
    also measure the others, so it bypasses the ``Literal`` check; ``build_embedder`` finds
    every implemented runtime in :data:`narratives.embed.RUNTIMES`.
    """
    fields = (base or EmbedConfig()).model_dump()
    fields.update(runtime=runtime)
    return EmbedConfig.model_construct(**fields)


def with_runtime(config: RunConfig, runtime: str, cache_dir: Path) -> RunConfig:
    return config.model_copy(update={"embed": embed_config(runtime, config.embed), "cache": cache_dir})


def build_raw(runtime: str, cache_dir: Path) -> Any:
    """The runtime's embedder without the vector cache (so every text is really embedded)."""
    config = embed_config(runtime)
    return RUNTIMES.get(runtime)(resolve_model(config.model), config, cache_dir)


def newsgroup_sentences(n: int, seed: int = 1) -> list[str]:
    """``n`` sentences from posts in a seeded order, cut as ``benchmarks/scale/newsgroups.py`` counts them."""
    import spacy
    from benchmarks.scale.newsgroups import posts

    pool = list(posts())
    random.Random(seed).shuffle(pool)
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    sentences: list[str] = []
    for doc in nlp.pipe((p.text for p in pool), batch_size=64):
        sentences.extend(s.text.strip() for s in doc.sents if s.text.strip())
        if len(sentences) >= n:
            break
    return sentences[:n]


def cold_load(runtime: str, cache_dir: Path) -> float:
    """Seconds to load the model in a fresh process (imports included; export already on disk)."""
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[3]); from benchmarks.onnx_agreement import build_raw; "
        "e = build_raw(sys.argv[1], __import__('pathlib').Path(sys.argv[2])); e.embed(['warm-up']); "
        "print(json.dumps(e.load_seconds))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, runtime, str(cache_dir), str(REPO)],
        capture_output=True, text=True, check=True,
    )
    return float(json.loads(done.stdout.strip().splitlines()[-1]))


def measure_speed(measured: dict[str, Measured], sentences: list[str], cache_dir: Path, rounds: int) -> None:
    """Best of ``rounds`` interleaved rounds per runtime, so a busy machine slows them alike."""
    embedders = {name: build_raw(name, cache_dir) for name in RUNTIME_NAMES}
    for embedder in embedders.values():
        embedder.embed(["warm-up: loads the model, exporting it on first use"])
    vectors: dict[str, np.ndarray] = {}
    seconds: dict[str, list[float]] = {name: [] for name in RUNTIME_NAMES}
    for _ in range(rounds):
        for name, embedder in embedders.items():
            started = time.perf_counter()
            got = embedder.embed(sentences)
            seconds[name].append(time.perf_counter() - started)
            if name in vectors and not np.array_equal(got, vectors[name]):
                raise RuntimeError(f"{name}: vectors differ between rounds")
            vectors[name] = got
    for name, embedder in embedders.items():
        cosines = np.sum(vectors[name] * vectors["torch"], axis=1)
        result = measured[name]
        result.identity = embedder.identity
        result.texts_per_s = len(sentences) / min(seconds[name])
        result.export_s = getattr(embedder, "export_seconds", None)
        result.cos_min, result.cos_mean = float(cosines.min()), float(cosines.mean())
        result.load_s = min(cold_load(name, cache_dir) for _ in range(2))
        print(f"{name}: {result.texts_per_s:.0f} texts/s (rounds: {', '.join(f'{t:.1f}' for t in seconds[name])} s), "
              f"load {result.load_s:.2f} s, cosine min {result.cos_min:.4f}", file=sys.stderr)


def coded(assignments: tuple[Assignment | None, ...], status: tuple[str, ...]) -> list[tuple[str, str | None]]:
    return [(a.theme, a.subtheme) for a, s in zip(assignments, status, strict=True) if s == "coded" and a]


def measure_agreement(measured: dict[str, Measured], corpus: Path, cache_dir: Path) -> dict[str, int]:
    from narratives.pipeline import run

    demo = load_config(REPO / "configs" / "demo.yaml")
    counts = {}
    for name in RUNTIME_NAMES:
        started = time.perf_counter()
        result = run(
            [REPO / "corpora" / "demo"], DEMO_CODEBOOK, manifest=REPO / "corpora" / "demo" / "manifest.csv",
            config=with_runtime(demo, name, cache_dir),
        )
        measured[name].codes["demo"] = coded(result.assignments, result.status)
        news = run(
            [corpus], NEWSGROUPS_CODEBOOK, manifest=corpus / "manifest.csv",
            config=with_runtime(RunConfig(), name, cache_dir),
        )
        codes = coded(news.assignments, news.status)
        measured[name].codes["newsgroups"] = codes
        groups = {d.doc_id: str(d.metadata.get("group", "")) for d in news.corpus.documents}
        gold = [
            groups[seg.doc_id].replace(".", "-")
            for seg, s, a in zip(news.segments, news.status, news.assignments, strict=True)
            if s == "coded" and a
        ]
        measured[name].gold_accuracy = float(np.mean([g == theme for g, (theme, _) in zip(gold, codes, strict=True)]))
        counts = {"demo": len(measured[name].codes["demo"]), "newsgroups": len(codes),
                  "newsgroup_documents": len(news.corpus.documents)}
        print(f"{name}: both pipeline runs in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return counts


def agreement(a: list[tuple[str, str | None]], b: list[tuple[str, str | None]], part: int) -> tuple[float, int]:
    """Share of segments with the same code (``part`` 0: theme, 1: subtheme), and how many differ."""
    if len(a) != len(b):
        raise RuntimeError(f"the runs coded different numbers of segments ({len(a)} vs {len(b)})")
    same = [x[part] == y[part] for x, y in zip(a, b, strict=True)]
    return float(np.mean(same)), same.count(False)


def cell(share_and_differing: tuple[float, int]) -> str:
    share, differing = share_and_differing
    return f"{share:.1%} ({differing:,})"


def table(measured: dict[str, Measured]) -> tuple[str, dict[str, bool]]:
    torch = measured["torch"]
    lines = [
        "| runtime | texts/s | speed-up | cold load (s) | cosine with torch min / mean | theme agreement demo "
        "| theme agreement newsgroups | subtheme agreement demo | >= 99% agreement with torch? |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    offered = {}
    for name, m in measured.items():
        demo = agreement(m.codes["demo"], torch.codes["demo"], 0)
        news = agreement(m.codes["newsgroups"], torch.codes["newsgroups"], 0)
        sub = agreement(m.codes["demo"], torch.codes["demo"], 1)
        offered[name] = name == "torch" or (demo[0] >= GATE and news[0] >= GATE)
        verdict = "reference" if name == "torch" else ("yes" if offered[name] else "no")
        lines.append(
            f"| {name} | {m.texts_per_s:.0f} | {m.texts_per_s / torch.texts_per_s:.2f}x | {m.load_s:.1f} "
            f"| {m.cos_min:.6f} / {m.cos_mean:.6f} | {cell(demo)} | {cell(news)} | {cell(sub)} | {verdict} |"
        )
    return "\n".join(lines), offered


def notes(
    measured: dict[str, Measured], counts: dict[str, int], sentences: int, offered: dict[str, bool], load: float
) -> str:
    export = measured["onnx"].export_s or 0.0
    quantise = measured["onnx-int8"].export_s or 0.0
    chosen = [name for name, yes in offered.items() if yes and name != "torch"]
    gold = ", ".join(f"{name} {m.gold_accuracy:.1%}" for name, m in measured.items() if m.gold_accuracy is not None)
    return "\n".join([
        f"- Speed: {sentences:,} newsgroup sentences, best of interleaved rounds (1-minute load average up to "
        f"{load:.1f} on {os.cpu_count()} cores during the run), {default_threads()} threads; torch and onnx run "
        "fixed-shape batches of 16, int8 one text per pass (dynamic quantisation scales activations by the whole "
        "batch's range, so in a batch a text's int8 vector depends on its neighbours). Cold load: a fresh process, "
        "imports included, export already on disk. The one-off export, in a process that had loaded torch, took "
        f"{export:.1f} s (fp32) plus {quantise:.1f} s (int8).",
        f"- Agreement: `narratives.pipeline.run` per runtime, theme (`unassigned` included) of each coded segment vs "
        "torch, segments that differ in brackets: the demo corpus with `configs/demo.yaml` "
        f"({counts['demo']:,} coded segments), and "
        f"{counts['newsgroup_documents']:,} newsgroup posts ({counts['newsgroups']:,} coded sentences, seed 0) with "
        "`benchmarks/data/newsgroups-codebook.yaml` and the default config.",
        "- int8 is `quantize_dynamic` with int8 weights, one scale per output channel. With one scale per tensor "
        "(its default) the same benchmark gave cosine min / mean 0.7825 / 0.9524 and theme agreement 82.0% (demo) and "
        "90.2% (newsgroups); per channel was chosen on 600 think-aloud passages outside both corpora.",
        f"- Sentences coded as their post's newsgroup: {gold} (the codebook is a yardstick, not a classifier).",
        f"- At least {GATE:.0%} theme agreement with torch on both corpora: "
        + (", ".join(f"`{name}`" for name in chosen) if chosen else "none")
        + ". Agreement with fp32 was issue 6's gate; issue 17 gates on accuracy against the coders "
        "(\"Speed options and coding accuracy\"), where int8 lies within fp32's interval and is the default. "
        "A runtime's vectors are cached under its own identity, never mixed with another's.",
    ])


def write_section(text: str) -> None:
    from benchmarks.readme import replace_section

    replace_section(SECTION, f"`.venv/bin/python benchmarks/onnx_agreement.py --write`\n\n{text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="write the table into benchmarks/README.md")
    parser.add_argument("--sentences", type=int, default=2000, help="sentences for the speed measurement")
    parser.add_argument("--corpus", type=int, default=3000, help="sentences in the newsgroup corpus")
    parser.add_argument("--rounds", type=int, default=3, help="speed rounds per runtime (the best counts)")
    args = parser.parse_args()
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))  # benchmarks.scale, when run as a script
    from benchmarks.scale.newsgroups import build

    measured = {name: Measured(name) for name in RUNTIME_NAMES}
    with tempfile.TemporaryDirectory(prefix="onnx-agreement-") as tmp:
        cache_dir = Path(tmp) / "cache"
        load = os.getloadavg()[0]
        measure_speed(measured, newsgroup_sentences(args.sentences), cache_dir, args.rounds)
        corpus = Path(tmp) / "newsgroups"
        build(corpus, args.corpus, seed=0)
        counts = measure_agreement(measured, corpus, cache_dir)
    text, offered = table(measured)
    load = max(load, os.getloadavg()[0])
    text += "\n\n" + notes(measured, counts, args.sentences, offered, load)
    print(text)
    if args.write:
        write_section(text)


if __name__ == "__main__":
    main()
