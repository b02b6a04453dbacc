"""Re-running after a change costs only what changed.

- Adding one transcript to an analysed corpus embeds only that transcript (its
  sentences, and the context windows and questions of its sentences).
- Changing only the codebook re-embeds nothing and re-clusters nothing: the topics come
  from the cluster cache, and the segments' clusters are the same as before.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import narratives
from narratives.segment.cache import segments_key

pytestmark = pytest.mark.slow

NEW_TRANSCRIPT = """\
Interviewer: When did you first think about leaving?

P19: It was during my second year as a registrar in Multan, when the ward had forty beds and two of us.

Interviewer: What made that year different?

P19: The electricity went in theatre twice in one week and nobody wrote it down anywhere.

P19: My father said a doctor should serve where he was trained, and I still hear that sentence every day.

Interviewer: And the exams?

P19: I paid for the licensing exam with my wedding gold, which my wife offered before I could ask.
"""


def _run(corpus: Path, codebook: Path, out: Path, cache: Path, repo_dir: Path) -> narratives.RunResult:
    config = narratives.load_config(repo_dir / "configs" / "demo.yaml", [f"cache={cache}"])
    return narratives.run([corpus], codebook, manifest=corpus / "manifest.csv", config=config, out=out, force=True)


def test_adding_a_transcript_embeds_only_that_transcript(demo_run, repo_dir: Path, cache_dir: Path,
                                                         tmp_path: Path) -> None:
    corpus = tmp_path / "demo"
    shutil.copytree(repo_dir / "corpora" / "demo", corpus)
    (corpus / "interviews" / "p19-new.txt").write_text(NEW_TRANSCRIPT, encoding="utf-8")
    with (corpus / "manifest.csv").open("a", encoding="utf-8") as handle:
        handle.write("interviews/p19-new.txt,int-p19,transcript,New interview,,P19,male,medicine,Canada,2,,"
                     "2026-11-01\n")
    codebook = repo_dir / "configs" / "codebooks" / "physician-migration.yaml"

    result = _run(corpus, codebook, tmp_path / "out", cache_dir, repo_dir)  # the demo itself is cached

    frame = result.segments_frame()
    new = frame[(frame["doc_id"] == "int-p19") & (frame["status"] == "coded")]
    assert len(new) == 4
    assert result.cache["embedded"] == len(new)
    assert result.cache["from_cache"] == int((frame["status"] == "coded").sum()) - len(new)
    # context: each new sentence's window, plus the interviewer questions they answer
    assert 0 < result.cache["align_embedded"] <= 2 * len(new)


def test_codebook_only_rerun_reuses_embeddings_and_topics(demo_run, repo_dir: Path, cache_dir: Path,
                                                          tmp_path: Path) -> None:
    first, _ = demo_run
    edited = tmp_path / "codebook.yaml"
    text = (repo_dir / "configs" / "codebooks" / "physician-migration.yaml").read_text(encoding="utf-8")
    edited.write_text(text.replace("Economic disenfranchisement as existential mismatch", "Pay as a verdict"),
                      encoding="utf-8")

    result = _run(repo_dir / "corpora" / "demo", edited, tmp_path / "out", cache_dir, repo_dir)

    assert result.cache["embedded"] == 0
    assert 0 < result.cache["align_embedded"] <= 5  # only codebook texts with the new label are new
    assert "reduce" not in result.timings  # nothing was re-fitted
    assert any("cluster cache" in note for note in result.notes)
    assert result.clusters.tolist() == first.clusters.tolist()
    assert result.segments == first.segments  # rebuilt from the segment cache, not segmented again
    key = segments_key(result.corpus.documents, result.config.segment)
    assert (cache_dir / "segments" / f"{key}.npz").exists()
    assert [t.label for t in result.topics] == [t.label for t in first.topics]
    assert result.segments_frame().loc[lambda f: f["theme"] == "economic-disenfranchisement"].shape[0] > 0
