"""One measured run in a fresh process (so peak memory and model loading are its own).

    python -m benchmarks.scale.measure narratives CORPUS --codebook C --cache DIR --out DIR --json FILE [--set k=v]
    python -m benchmarks.scale.measure stock RUN_DIR --cache DIR --json FILE [--end-to-end]

``narratives``: ``narratives.pipeline.run`` on CORPUS (its ``manifest.csv`` gives each
document's newsgroup as ``group``), then clustering quality of the coded segments
against ``group``. ``stock``: BERTopic 0.17 with its defaults on exactly the coded
segments of the narratives run in RUN_DIR, given the same embeddings (read from the
cache, not timed) or, with ``--end-to-end``, embedding them itself with the same model.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np

STARTED = time.perf_counter()


def quality(labels: np.ndarray, gold: list[str] | None) -> dict[str, float | None]:
    """NMI and ARI against the gold groups when there are any (outliers count as one more cluster),
    and the shares of outliers and of the largest topic."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    clustered = labels[labels >= 0]
    return {
        "nmi": round(float(normalized_mutual_info_score(gold, labels)), 3) if gold else None,
        "ari": round(float(adjusted_rand_score(gold, labels)), 3) if gold else None,
        "outliers": round(float((labels < 0).mean()), 3),
        "largest": round(float(np.bincount(clustered).max() / len(labels)) if clustered.size else 0.0, 3),
        "topics": len(np.unique(clustered)),
    }


def _gold(frame: Any) -> list[str] | None:
    return frame["group"].tolist() if "group" in frame.columns else None


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_narratives(args: argparse.Namespace) -> dict[str, Any]:
    from narratives.config import load_config
    from narratives.pipeline import run

    config = load_config(None, [f"cache={args.cache}", *args.set])
    corpus = Path(args.corpus)
    started = time.perf_counter()
    manifest = corpus / "manifest.csv"
    result = run([corpus], args.codebook, manifest=manifest if manifest.is_file() else None, config=config,
                 out=args.out, force=True, examples=args.examples)
    elapsed = time.perf_counter() - started
    seconds = dict(result.timings)
    # the run's own "report" time stops before report.html and the figures are drawn; count them too
    seconds["report"] = round(elapsed - sum(v for k, v in seconds.items() if k != "report"), 3)
    frame = result.segments_frame()
    coded = frame[frame["status"] == "coded"]
    out = {
        "segments": len(frame),
        "coded": len(coded),
        "documents": len(result.corpus.documents),
        "seconds": seconds,
        "peak_mb": result.peak_memory_mb,
        "total_s": round(time.perf_counter() - STARTED, 1),
        "process_peak_mb": _peak_mb(),
        "cache": result.cache,
        "backend": result.backend,
        "assigned": int((coded["theme"] != "unassigned").sum()),
    }
    out.update(quality(coded["cluster"].to_numpy(dtype=np.int64), _gold(coded)))
    out["per_document"] = document_quality(frame)
    return out


def document_quality(frame: Any) -> dict[str, float | None]:
    """:func:`quality` of one topic per document: the topic most of its coded segments are in
    (outliers left out; ties to the lower topic; -1 when none of them has a topic)."""
    coded = frame[(frame["status"] == "coded") & (frame["cluster"] >= 0)]
    counts = coded.groupby(["doc_id", "cluster"]).size().reset_index(name="n")
    top = counts.sort_values(["doc_id", "n", "cluster"], ascending=[True, False, True]).drop_duplicates("doc_id")
    docs = frame.drop_duplicates("doc_id")
    labels = docs["doc_id"].map(top.set_index("doc_id")["cluster"]).fillna(-1).to_numpy(dtype=np.int64)
    return quality(labels, _gold(docs))


def run_stock(args: argparse.Namespace) -> dict[str, Any]:
    from bertopic import BERTopic

    from narratives.config import EmbedConfig
    from narratives.embed import build_embedder
    from narratives.spreadsheet import read_csv_frame

    if args.posts:  # the corpus folder's documents as they are, one per post
        manifest = read_csv_frame(Path(args.corpus) / "manifest.csv", dtype=str, keep_default_na=False)
        texts = [(Path(args.corpus) / f).read_text(encoding="utf-8") for f in manifest["file"]]
        coded = manifest
    else:
        frame = read_csv_frame(Path(args.corpus) / "segments.csv", dtype={"text": str}, keep_default_na=False)
        coded = frame[frame["status"] == "coded"]
        texts = coded["text"].tolist()
    embedder = build_embedder(EmbedConfig(), Path(args.cache))
    if args.end_to_end:
        from sentence_transformers import SentenceTransformer

        started = time.perf_counter()
        model = SentenceTransformer(str(embedder.embedder.resolved.path), device="cpu")  # type: ignore[attr-defined]
        topic_model = BERTopic(embedding_model=model)
        topics, _ = topic_model.fit_transform(texts)
    else:
        embeddings = embedder.embed(texts)
        started = time.perf_counter()
        topic_model = BERTopic()
        topics, _ = topic_model.fit_transform(texts, embeddings=embeddings)
    seconds = time.perf_counter() - started
    out = {"coded": len(texts), "fit_s": round(seconds, 1), "process_peak_mb": _peak_mb(),
           "mode": "end-to-end" if args.end_to_end else "precomputed"}
    out.update(quality(np.asarray(topics, dtype=np.int64), _gold(coded)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["narratives", "stock"])
    parser.add_argument("corpus", help="corpus folder (narratives) or a narratives run's output folder (stock)")
    parser.add_argument("--codebook", default="benchmarks/data/newsgroups-codebook.yaml")
    parser.add_argument("--cache", required=True)
    parser.add_argument("--out")
    parser.add_argument("--json", required=True)
    parser.add_argument("--set", action="append", default=[])
    parser.add_argument("--examples", help="narratives: coded passages to learn from (run --examples)")
    parser.add_argument("--end-to-end", action="store_true")
    parser.add_argument("--posts", action="store_true",
                        help="stock: fit the corpus folder's documents (manifest.csv), not a run's segments")
    args = parser.parse_args()
    result = run_narratives(args) if args.what == "narratives" else run_stock(args)
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
