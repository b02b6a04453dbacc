"""The prototype aligner: plumbing with a fake embedder, behaviour with the real model."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from align_helpers import DATA, BagOfWordsEmbedder

from narratives.align import (
    ALIGNERS,
    NotFittedError,
    PrototypeAligner,
    build_aligner,
    load_codebook,
    slugify,
)
from narratives.align.prototype import prototype_texts
from narratives.config import AlignConfig
from narratives.embed import SentenceTransformerEmbedder
from narratives.errors import ConfigError
from narratives.models import UNASSIGNED, Codebook, Theme

FLAT = Codebook(
    name="flat",
    entries=(
        Theme("pay", "Pay", "salary money wages income", keywords=("salary", "wages")),
        Theme("exams", "Exams", "licensing exams plab usmle fees", examples=("I failed PLAB twice",)),
    ),
)


# ---------------------------------------------------------------- plumbing (fast)


def test_registry_and_build_aligner() -> None:
    assert "prototype" in ALIGNERS.names()
    aligner = build_aligner(
        AlignConfig.model_validate({"method": "prototype", "threshold": 0.3, "cluster_threshold": 0.4})
    )
    assert isinstance(aligner, PrototypeAligner)
    assert (aligner.threshold, aligner.cluster_threshold) == (0.3, 0.4)
    with pytest.raises(ConfigError, match="prototype"):
        build_aligner(AlignConfig.model_validate({"method": "nearest"}))


def test_exclude_notes_are_not_prototypes() -> None:
    entry = Theme("a", "A", "def", keywords=("k1", "k2"), examples=("e1", "e2"), include="inc",
                  exclude="SECRET")
    texts = [p.text for p in prototype_texts(entry)]
    assert texts == ["A. def", "A: k1, k2", "e1", "e2", "A. inc"]
    assert not any("SECRET" in t for t in texts)


def test_not_fitted_and_shape_errors(bow: BagOfWordsEmbedder) -> None:
    with pytest.raises(NotFittedError, match="fit"):
        PrototypeAligner().assign(np.zeros((1, 64), dtype=np.float32))
    aligner = PrototypeAligner().fit(FLAT, bow)
    with pytest.raises(ValueError, match="same model"):
        aligner.assign(np.zeros((2, 10), dtype=np.float32))
    with pytest.raises(ValueError, match="one per row"):
        aligner.assign_clusters(np.array([0]), bow.embed(["a", "b"]))


def test_flat_codebook_gives_no_subtheme_and_respects_threshold(bow: BagOfWordsEmbedder) -> None:
    x = bow.embed(["my salary and wages were tiny", "zebra quantum xylophone"])
    strict = PrototypeAligner(threshold=0.99).fit(FLAT, bow).assign(x)
    lenient = PrototypeAligner(threshold=0.0).fit(FLAT, bow).assign(x)
    assert lenient[0].theme == "pay" and lenient[0].subtheme is None
    assert strict[0].theme == UNASSIGNED and strict[0].subtheme is None
    assert strict[0].best_theme == "pay" and strict[0].score == lenient[0].score
    assert all(0.0 <= a.score <= 1.0 for a in strict + lenient)
    assert strict[1].theme == UNASSIGNED


def test_chunking_does_not_change_results(bow: BagOfWordsEmbedder, physician_codebook: Codebook) -> None:
    texts = [f"salary pension rota exam guilt return {i} " + "word " * (i % 5) for i in range(23)]
    x = bow.embed(texts)
    small = PrototypeAligner(chunk_size=4).fit(physician_codebook, bow)
    big = PrototypeAligner(chunk_size=1000).fit(physician_codebook, bow)
    assert small.assign(x) == big.assign(x)
    scores = small.entry_scores(x)
    assert scores.shape == (23, len(physician_codebook.entries)) and scores.dtype == np.float32
    np.testing.assert_array_equal(scores, big.entry_scores(x))


def test_assign_clusters_excludes_outliers(bow: BagOfWordsEmbedder) -> None:
    x = bow.embed(["salary wages", "income money", "plab usmle exams", "zebra"])
    result = PrototypeAligner(cluster_threshold=0.0).fit(FLAT, bow).assign_clusters(
        np.array([3, 3, 7, -1]), x
    )
    assert sorted(result) == [3, 7]
    assert result[3].theme == "pay" and result[7].theme == "exams"
    assert PrototypeAligner().fit(FLAT, bow).assign_clusters(np.array([-1, -1]), x[:2]) == {}


# ---------------------------------------------------------------- behaviour (real model)


def read_rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def physician_aligner(minilm: SentenceTransformerEmbedder, physician_codebook: Codebook) -> PrototypeAligner:
    return PrototypeAligner().fit(physician_codebook, minilm)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "theme", "subtheme"),
    [
        ("A clerk with a college diploma earned more than me, and I could not pay my "
         "children's school fees on a doctor's salary.", "economic-disenfranchisement", "salary-inadequacy"),
        ("For two years I studied for PLAB and the GMC registration, paying every fee from my savings.",
         "price-of-migration", "credentialing-barriers"),
        ("Here the rota limits my hours and after night shifts I get proper rest days.",
         "dignity-and-recognition", "regulated-hours"),
    ],
)
def test_plain_passage_gets_its_subtheme(
    physician_aligner: PrototypeAligner, minilm: SentenceTransformerEmbedder, text: str, theme: str, subtheme: str
) -> None:
    [a] = physician_aligner.assign(minilm.embed([text]))
    assert (a.theme, a.subtheme) == (theme, subtheme)
    assert a.score >= physician_aligner.threshold


@pytest.mark.slow
def test_off_topic_passage_is_unassigned(
    physician_aligner: PrototypeAligner, minilm: SentenceTransformerEmbedder
) -> None:
    texts = ["Can you hear me? I think my microphone was muted for a moment.",
             "Arsenal won three nil on Saturday, what a game that was."]
    for a in physician_aligner.assign(minilm.embed(texts)):
        assert a.theme == UNASSIGNED and a.subtheme is None
        assert a.best_theme is not None


@pytest.mark.slow
def test_heldout_accuracy_and_offtopic_rate(physician_aligner: PrototypeAligner, minilm: SentenceTransformerEmbedder,
                                            physician_codebook: Codebook) -> None:
    on = read_rows("heldout_passages.csv")
    off = [r["text"] for r in read_rows("offtopic_passages.csv")]
    got = physician_aligner.assign(minilm.embed([r["text"] for r in on]))
    theme_ok = [a.theme == physician_codebook.top_level(r["subtheme"]) for a, r in zip(got, on, strict=True)]
    sub_ok = [a.best_subtheme == r["subtheme"] for a, r in zip(got, on, strict=True)]
    unassigned_off = [a.theme == UNASSIGNED for a in physician_aligner.assign(minilm.embed(off))]
    # measured (threshold 0.25): assigned & theme right 0.85, best subtheme 0.875, off-topic unassigned 0.917
    assert np.mean(theme_ok) >= 0.75
    assert np.mean(sub_ok) >= 0.75
    assert np.mean(unassigned_off) >= 0.8


@pytest.mark.slow
def test_cluster_alignment(physician_aligner: PrototypeAligner, minilm: SentenceTransformerEmbedder) -> None:
    salary = ["My pay as a medical officer was less than my driver's.",
              "The salary did not cover rent and my son's school fees.",
              "After years of training they paid us a stipend you could not live on.",
              "We were underpaid and the house-job stipend came months late."]
    football = ["Did you see the goal in the second half? The striker was unbelievable.",
                "Manchester City are top of the league again this season.",
                "We play five-a-side football every Sunday morning in the park.",
                "The referee gave a penalty in the last minute and the fans went mad."]
    labels = np.array([0] * 4 + [1] * 4 + [-1], dtype=np.int64)
    x = minilm.embed([*salary, *football, "The weather was lovely."])
    result = physician_aligner.assign_clusters(labels, x)
    assert set(result) == {0, 1}
    assert result[0].theme == "economic-disenfranchisement"
    assert result[0].subtheme == "salary-inadequacy"
    assert result[1].theme == UNASSIGNED
    assert result[1].score < physician_aligner.cluster_threshold


@pytest.mark.slow
def test_deterministic(minilm: SentenceTransformerEmbedder, physician_codebook: Codebook) -> None:
    texts = [r["text"] for r in read_rows("heldout_passages.csv")]
    x = minilm.embed(texts)
    first = PrototypeAligner().fit(physician_codebook, minilm)
    second = PrototypeAligner().fit(physician_codebook, minilm)
    assert first.assign(x) == second.assign(x)
    labels = np.arange(len(texts)) % 4
    assert first.assign_clusters(labels, x) == second.assign_clusters(labels, x)


@pytest.mark.slow
def test_usability_zero_shot_beats_majority(shared_dir: Path, minilm: SentenceTransformerEmbedder) -> None:
    base = shared_dir / "benchmarks" / "usability-think-aloud"
    if not (base / "coded_passages.csv").is_file():
        pytest.skip(f"{base} is absent")
    cb = load_codebook(base / "codebook.csv")
    with (base / "coded_passages.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    aligner = PrototypeAligner(threshold=0.0).fit(cb, minilm)
    got = aligner.assign(minilm.embed([r["content"] for r in rows]))
    accuracy = np.mean([a.theme == slugify(r["tag"]) for a, r in zip(got, rows, strict=True)])
    assert all(a.subtheme is None for a in got)
    # measured 0.235; majority code 0.105, tag+description cosine 0.224
    assert accuracy >= 0.2

