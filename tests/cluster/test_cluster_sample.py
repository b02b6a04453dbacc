"""Large corpora: the topic map is fitted on a sample and every other segment placed in it.

What a user would notice if it broke: segments outside the sample landing in the wrong
topic or left out, results changing with how the placement work is split up, or a
codebook-only re-run clustering again.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import adjusted_rand_score
from tests.cluster.cluster_helpers import blobs

from narratives.cluster import BERTopicClusterer
from narratives.cluster.cache import ClusterCache, cluster_key
from narratives.config import ClusterConfig

WORDS = ("pay salary rent", "exam licence visa", "family mother duty")


def _texts(truth: np.ndarray) -> list[str]:
    return [f"{WORDS[t]} sentence {i}" for i, t in enumerate(truth)]


def test_segments_outside_the_sample_join_their_own_topic() -> None:
    vectors, truth = blobs(900, k=3)
    texts, ids = _texts(truth), [f"s{i}" for i in range(900)]
    clusterer = BERTopicClusterer(ClusterConfig(fit_sample=300), seed=7)
    result = clusterer.fit(texts, vectors, ids)

    assert len(result.labels) == 900
    assert any("sample of 300 of 900" in note for note in result.notes)
    assert set(clusterer.timings_) >= {"reduce", "hdbscan", "place", "keywords", "layout"}
    clustered = result.labels >= 0
    assert clustered.mean() > 0.9
    assert adjusted_rand_score(truth[clustered], result.labels[clustered]) > 0.95
    assert sum(t.size for t in result.topics) == 900


def test_placement_is_the_same_however_the_work_is_split() -> None:
    vectors, truth = blobs(900, k=3)
    texts, ids = _texts(truth), [f"s{i}" for i in range(900)]
    config = ClusterConfig(fit_sample=300)
    here = BERTopicClusterer(config, seed=7).fit(texts, vectors, ids)

    def reversed_map(fn, shared, items):  # another order of work, as on a cluster
        return [fn(shared, item) for item in items[::-1]][::-1]

    elsewhere = BERTopicClusterer(config, seed=7).fit(texts, vectors, ids, mapper=reversed_map)
    assert here.labels.tolist() == elsewhere.labels.tolist()
    assert np.array_equal(here.map_xy, elsewhere.map_xy)


def test_cluster_cache_round_trip_and_key(tmp_path) -> None:
    vectors, truth = blobs(60, k=3)
    texts, ids = _texts(truth), [f"s{i}" for i in range(60)]
    config = ClusterConfig()
    result = BERTopicClusterer(config, seed=1).fit(texts, vectors, ids)
    cache = ClusterCache(tmp_path)
    key = cluster_key(vectors, texts, ids, config, 1)
    assert cache.get(key) is None
    cache.put(key, result)
    back = cache.get(key)
    assert back is not None
    assert back.labels.tolist() == result.labels.tolist()
    assert back.topics == result.topics and back.notes == result.notes
    assert np.array_equal(back.map_xy, result.map_xy) and np.array_equal(back.map_rows, result.map_rows)
    # anything the clusterer sees changes the key
    assert cluster_key(vectors, texts, ids, config, 2) != key
    assert cluster_key(vectors, [*texts[:-1], "changed"], ids, config, 1) != key
    assert cluster_key(vectors, texts, ids, ClusterConfig(n_neighbors=10), 1) != key
    moved = vectors.copy()
    moved[0, 0] += 1e-6
    assert cluster_key(moved, texts, ids, config, 1) != key
    (tmp_path / "clusters" / f"{key}.npz").write_bytes(b"not an npz")
    assert cache.get(key) is None  # a damaged entry is a miss, never an error
