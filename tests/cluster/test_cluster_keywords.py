"""Unit tests of keyword cleaning, vectorizer vocabulary, labels and adaptive sizes."""

from __future__ import annotations

import numpy as np
import pytest

from narratives.cluster.keywords import build_vectorizer, clean_for_keywords, distinct_keywords, make_label
from narratives.cluster.sizing import MIN_SEGMENTS, choose_sizes, keyword_min_df, min_cluster_size_for
from narratives.config import ClusterConfig


@pytest.mark.parametrize(
    ("raw", "gone", "kept"),
    [
        ("See https://doi.org/10.1007/s11133-019-9413-7 now", ["doi", "10.1007", "https"], ["See", "now"]),
        ("as shown (Abbas & Guriro, 2018) before", ["Abbas", "2018"], ["as shown", "before"]),
        ("mail aam_4645@yahoo.com today", ["yahoo", "4645"], ["mail", "today"]),
        ("the [cohesion](@entry_id:188479) of [@problem_id:4967880] teams", ["entry_id", "problem"], ["cohesion"]),
        ("the children's push-pull model; don't go", ["'s", "don", "-"], ["children", "push pull"]),
        ("Smith et al. argue", ["et al"], ["Smith", "argue"]),
    ],
)
def test_clean_for_keywords_removes_furniture(raw: str, gone: list[str], kept: list[str]) -> None:
    cleaned = clean_for_keywords(raw)
    assert not [g for g in gone if g in cleaned], cleaned
    assert all(k in cleaned for k in kept), cleaned


def test_vectorizer_drops_stop_words_numbers_and_short_tokens() -> None:
    texts = ["Yeah the salary was 45000 and we got uh paid in PKR, ok", "Salary and pay, you know, 2023 xy"]
    vectorizer = build_vectorizer(texts, extra_stop_words=("pkr",), min_df=1)
    vocabulary = set(vectorizer.vocabulary)
    assert "salary" in vocabulary
    assert not {"yeah", "the", "uh", "ok", "pkr", "45000", "2023", "xy", "got", "know"} & vocabulary


def test_vectorizer_min_df_counts_segments_and_falls_back() -> None:
    texts = ["salary school fees", "salary pay", "night shifts", "pay rise"]
    assert set(build_vectorizer(texts, (), min_df=2).vocabulary) == {"salary", "pay"}
    assert "night shifts" in build_vectorizer(["night shifts", "school fees"], (), min_df=2).vocabulary
    for hopeless in (["the and of", "yeah okay"], ["salary and the", "salary"]):
        with pytest.raises(ValueError, match="too few keywords"):
            build_vectorizer(hopeless, (), min_df=1)


def test_labels_are_readable_and_not_repetitive() -> None:
    assert make_label(["salary", "school fees", "pay", "fees", "money"]) == "salary · school fees · pay · money"
    assert make_label(["brain", "brain drain", "developing countries", "loss"]).startswith("brain drain · ")
    assert make_label(["night", "shifts", "week", "night shifts", "hours"]) == "night shifts · week · hours"
    assert make_label(["exam", "licensing", "exams", "fees"]) == "exam · licensing · fees"
    assert make_label([]) == ""
    assert distinct_keywords(["brain drain", "brain", "talent drain", "drain"], 8) == ("brain drain", "talent drain")


def test_adaptive_sizes_follow_the_documented_formula() -> None:
    assert [min_cluster_size_for(n) for n in (10, 100, 500, 5000)] == [3, 5, 11, 35]
    sizes = choose_sizes(500, ClusterConfig())
    assert (sizes.min_cluster_size, sizes.min_samples, sizes.n_neighbors, sizes.n_components) == (11, 3, 15, 5)
    small = choose_sizes(MIN_SEGMENTS, ClusterConfig(n_components=20, n_neighbors=50, min_samples=30))
    assert small.n_neighbors == MIN_SEGMENTS - 1 and small.n_components == MIN_SEGMENTS - 2
    assert small.min_samples == MIN_SEGMENTS - 1
    assert choose_sizes(500, ClusterConfig(min_cluster_size=20, min_samples=4)).min_cluster_size == 20
    assert [keyword_min_df(n) for n in (20, 500, 5000)] == [1, 2, 5]


def test_topic_keywords_score_as_bertopic_does() -> None:
    """Our c-TF-IDF (which spares a run importing bertopic, and with it torch) ranks every topic's
    words with BERTopic's own scores; only the order of words with equal scores may differ."""
    bertopic = pytest.importorskip("bertopic")
    from bertopic.cluster import BaseCluster
    from bertopic.dimensionality import BaseDimensionalityReduction
    from bertopic.vectorizers import ClassTfidfTransformer

    from narratives.cluster.keywords import topic_keywords

    rng = np.random.default_rng(0)
    words = ["salary", "school fees", "pension", "exam", "licence", "visa", "mother", "duty", "return", "rota",
             "night shifts", "respect", "training", "equipment", "drugs"]
    texts = [" ".join(rng.choice(words, size=rng.integers(3, 9))) for _ in range(300)]
    labels = rng.integers(-1, 5, size=300)
    labels = np.where(labels >= 0, labels, -1)
    cleaned = [clean_for_keywords(t) for t in texts]
    ours = topic_keywords(cleaned, labels.tolist(), build_vectorizer(cleaned, (), 2), 10)

    model = bertopic.BERTopic(embedding_model=None, umap_model=BaseDimensionalityReduction(),
                              hdbscan_model=BaseCluster(), vectorizer_model=build_vectorizer(cleaned, (), 2),
                              ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True), top_n_words=10,
                              language="multilingual", verbose=False)
    predictions, _ = model.fit_transform(cleaned, embeddings=np.zeros((300, 2)), y=labels.tolist())
    theirs = model.get_topics()
    # BERTopic renumbers topics by size, as the clusterer does before it asks for keywords
    mapping = {int(old): int(new) for old, new in zip(labels, predictions, strict=True)}
    assert set(mapping.values()) == set(theirs)
    for old, new in mapping.items():
        scored = [(w, s) for w, s in theirs[new] if w and s > 0]
        assert sorted(ours[old]) == sorted(w for w, _ in scored), old
        ranks = {w: i for i, w in enumerate(ours[old])}
        their_scores = dict(scored)
        ordered = [their_scores[w] for w in sorted(ranks, key=ranks.get)]
        assert ordered == sorted(ordered, reverse=True)  # our order is by BERTopic's scores
