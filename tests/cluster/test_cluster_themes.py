"""The clusterer on real-model embeddings: synthetic themes and the four real documents."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.metrics import adjusted_rand_score

from narratives.cluster import OUTLIER_LABEL, build_clusterer
from narratives.config import ClusterConfig
from narratives.types import ClusterResult

pytestmark = pytest.mark.slow

MAX_LARGEST_SHARE = 0.45
"""Measured on the real documents (494 sentences): largest topic 9–32% over seeds 0–11
(14% with the default seed 42); stock BERTopic put 93% of them in ``0_the_and_of_to``."""


def assert_clean_labels(result: ClusterResult) -> None:
    for topic in result.topics:
        if topic.cluster == -1:
            assert topic.label == OUTLIER_LABEL
            continue
        assert not re.match(r"^-?\d+_", topic.label), topic.label
        words = topic.label.replace("·", " ").split()
        assert words, topic
        assert not set(words) & ENGLISH_STOP_WORDS, topic.label
        assert not any(w.isdigit() for w in words), topic.label
        lowered = topic.label.lower()
        assert "doi" not in lowered and "et al" not in lowered and "http" not in lowered, topic.label
        assert not re.search(r"\d{4,}", " ".join((topic.label, *topic.keywords))), topic


@pytest.fixture(scope="module")
def theme_result(theme_corpus) -> ClusterResult:
    texts, vectors, _ = theme_corpus
    return build_clusterer(ClusterConfig(), 42).fit(texts, vectors, [f"t:s{i:04d}" for i in range(len(texts))])


def test_synthetic_themes_are_recovered(theme_corpus, theme_result: ClusterResult) -> None:
    _, _, truth = theme_corpus
    labels = theme_result.labels
    # measured 0.83-0.95 over seeds 0, 7, 42 (numba 0.68, umap-learn 0.5.12: seed 42 splits the exam
    # theme into licensing fees and licensing tests; earlier releases gave exactly four topics)
    assert adjusted_rand_score(truth, labels) > 0.7
    clusters = sorted(set(labels) - {-1})
    assert 4 <= len(clusters) <= 6, clusters
    majority = []
    for cluster in clusters:
        members = truth[labels == cluster]
        counts = np.bincount(members, minlength=4)
        assert counts.max() / counts.sum() >= 0.85, (cluster, counts)  # no topic mixes two themes
        majority.append(int(counts.argmax()))
    assert set(majority) == {0, 1, 2, 3}  # every theme is found
    assert_clean_labels(theme_result)


def test_synthetic_theme_labels_name_the_theme(theme_result: ClusterResult) -> None:
    labels = " | ".join(t.label for t in theme_result.topics)
    for expected in ("salary", "exam", "night", "family"):
        assert re.search(expected, labels), labels


def test_same_seed_same_topics_on_real_embeddings(theme_corpus, theme_result: ClusterResult) -> None:
    texts, vectors, _ = theme_corpus
    again = build_clusterer(ClusterConfig(), 42).fit(texts, vectors, [f"t:s{i:04d}" for i in range(len(texts))])
    np.testing.assert_array_equal(again.labels, theme_result.labels)
    assert [t.label for t in again.topics] == [t.label for t in theme_result.topics]
    assert again.topics == theme_result.topics


def test_subsets_of_twenty_segments_do_not_crash(theme_corpus) -> None:
    texts, vectors, _ = theme_corpus
    picks = np.arange(0, 100, 5)
    result = build_clusterer(ClusterConfig(), 42).fit(
        [texts[i] for i in picks], vectors[picks], [str(i) for i in picks]
    )
    assert result.labels.shape == (20,) and result.notes
    assert_clean_labels(result)


def test_real_documents_give_balanced_clean_topics(real_sentences) -> None:
    texts, vectors, ids = real_sentences
    result = build_clusterer(ClusterConfig(), 42).fit(texts, vectors, ids)
    n = len(texts)
    sizes = np.bincount(result.labels[result.labels >= 0])
    assert len(sizes) >= 5
    assert sizes.max() / n < MAX_LARGEST_SHARE, [(t.label, t.size) for t in result.topics]
    assert (result.labels == -1).mean() < 0.4
    assert any("outliers (-1)" in note for note in result.notes)
    assert_clean_labels(result)
    for topic in result.topics:
        assert set(topic.representative_ids) <= set(ids)
