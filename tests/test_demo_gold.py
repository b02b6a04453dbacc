"""The hand-coded demo sample used by benchmarks/alignment.py still cuts the demo corpus."""

from __future__ import annotations

import csv
from pathlib import Path

from narratives.align import load_codebook
from narratives.loaders import load_corpus
from narratives.models import UNASSIGNED


def test_demo_gold_rows_match_the_corpus_and_codebook(repo_dir: Path) -> None:
    corpus = load_corpus([repo_dir / "corpora/demo"], manifest=repo_dir / "corpora/demo/manifest.csv")
    docs = {d.doc_id: d for d in corpus.documents}
    ids = {e.id for e in load_codebook(repo_dir / "configs/codebooks/physician-migration.yaml").entries}
    with (repo_dir / "benchmarks/data/demo-gold.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 84
    for row in rows:
        assert docs[row["document"]].text[int(row["start"]) : int(row["end"])] == row["text"], row
        assert row["code"] in ids | {UNASSIGNED}, row
