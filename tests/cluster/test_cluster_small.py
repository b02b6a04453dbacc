"""Fast tests of the clusterer on fake embeddings: API, tiny corpora, determinism, hygiene."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from cluster_helpers import blobs, unit_rows

from narratives.cluster import CLUSTERERS, OUTLIER_LABEL, BERTopicClusterer, build_clusterer
from narratives.config import ClusterConfig
from narratives.errors import ConfigError
from narratives.types import ClusterResult

THEME_WORDS = (
    "salary pay school fees income wages",
    "night shifts sleep rota exhaustion duty",
    "licensing exam plab usmle registration",
)


def texts_for(truth: np.ndarray) -> list[str]:
    """Blob-specific words wrapped in stop words, fillers, numbers, DOIs and links."""
    return [
        f"Yeah, the {THEME_WORDS[t]} in 2023, you know, like 45,000 (Khan et al., 2021) "
        f"https://doi.org/10.1007/s11133-019-9413-{i} and {i} things"
        for i, t in enumerate(truth)
    ]


def fit(n: int, seed: int = 42, **config: object) -> ClusterResult:
    vectors, truth = blobs(n)
    ids = [f"doc:s{i:04d}" for i in range(n)]
    return build_clusterer(ClusterConfig(**config), seed).fit(texts_for(truth), vectors, ids)  # type: ignore[arg-type]


def test_registry_builds_bertopic_and_rejects_unknown_names() -> None:
    assert "bertopic" in CLUSTERERS.names()
    assert isinstance(build_clusterer(ClusterConfig(), 1), BERTopicClusterer)
    with pytest.raises(ConfigError, match="bertopic"):
        build_clusterer(ClusterConfig(method="kmeans"), 1)


def test_importing_the_stage_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys, narratives.cluster\n"
        "heavy = [m for m in ('bertopic', 'umap', 'hdbscan', 'sklearn', 'torch') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("n", [0, 1, 5, 9])
def test_too_few_segments_are_all_outliers_with_a_note(n: int) -> None:
    result = fit(n)
    assert result.labels.shape == (n,)
    assert result.labels.dtype == np.int64
    assert (result.labels == -1).all()
    assert any(f"too few segments to cluster (n={n})" in note for note in result.notes)
    assert sum(t.size for t in result.topics) == n
    assert all(t.label == OUTLIER_LABEL for t in result.topics)


@pytest.mark.parametrize("n", [10, 12, 20])
def test_small_corpora_cluster_without_crashing(n: int) -> None:
    result = fit(n)
    assert result.labels.shape == (n,)
    assert sum(t.size for t in result.topics) == n
    assert {t.cluster for t in result.topics} == set(result.labels.tolist())
    assert any("tentative" in note for note in result.notes)


def test_config_sizes_larger_than_the_corpus_are_clamped() -> None:
    result = fit(12, min_cluster_size=50, min_samples=40, n_neighbors=100, n_components=40)
    assert result.labels.shape == (12,)


def test_identical_embeddings_do_not_crash() -> None:
    vectors = unit_rows(np.tile(np.random.default_rng(3).normal(size=(1, 384)), (20, 1)))
    result = build_clusterer(ClusterConfig(), 42).fit(["Yes, exactly that."] * 20, vectors, [str(i) for i in range(20)])
    assert sum(t.size for t in result.topics) == 20


def test_blobs_are_recovered_and_topics_are_described() -> None:
    n = 60
    _, truth = blobs(n)
    result = fit(n)
    assert len({t for t in result.labels.tolist() if t >= 0}) == 3
    for cluster in range(3):
        members = truth[result.labels == cluster]
        assert len(set(members.tolist())) == 1, "a cluster mixes blobs"
    sizes = {t.cluster: t.size for t in result.topics}
    assert sizes == {c: int((result.labels == c).sum()) for c in sizes}
    assert [t.cluster for t in result.topics if t.cluster >= 0] == sorted(sizes, key=lambda c: (-sizes[c], c))
    for topic in result.topics:
        assert 1 <= len(topic.representative_ids) <= 3
        assert all(result.labels[int(i.split("s")[-1])] == topic.cluster for i in topic.representative_ids)
        assert 0 < len(topic.keywords) <= ClusterConfig().top_n_words


def test_labels_have_no_stop_words_numbers_links_or_citations() -> None:
    result = fit(60)
    for topic in result.topics:
        if topic.cluster == -1:
            continue
        words = " ".join((topic.label, *topic.keywords)).replace("·", " ").split()
        assert not topic.label.startswith("0_")
        assert not {"the", "and", "in", "yeah", "like", "know", "things", "doi", "https", "et", "al"} & set(words)
        assert not any(any(ch.isdigit() for ch in w) for w in words), topic
        assert " · " in topic.label


def test_extra_stop_words_are_removed() -> None:
    result = fit(60, extra_stop_words=("salary", "night", "exam"))
    words = {w for t in result.topics for k in t.keywords for w in k.split()}
    assert words and not {"salary", "night", "exam"} & words


def test_same_seed_gives_identical_results() -> None:
    first, second = fit(45, seed=7), fit(45, seed=7)
    np.testing.assert_array_equal(first.labels, second.labels)
    assert first.topics == second.topics
    assert first.notes == second.notes


def test_fit_leaves_global_warning_filters_alone() -> None:
    before = list(warnings.filters)
    fit(30)
    assert warnings.filters == before


def test_mismatched_inputs_raise_value_error() -> None:
    vectors, _ = blobs(12)
    with pytest.raises(ValueError, match="one embedding row and one id per text"):
        build_clusterer(ClusterConfig(), 1).fit(["a"] * 11, vectors, [str(i) for i in range(12)])
