"""Corpus-size-aware settings for UMAP and HDBSCAN (pure functions, no heavy imports).

Why adaptive sizes: with BERTopic's fixed ``min_cluster_size=10`` (and ``min_samples``
defaulting to it) HDBSCAN's "excess of mass" selection collapsed the four real documents
(~500 sentences) into two clusters, one holding 93% of all sentences. Measured on those
documents and on 100 synthetic sentences over four themes (3 UMAP seeds each):

* ``min_cluster_size ≈ 0.5·√n`` gives 10–20 topics for ~500 sentences and the four
  themes for 100 synthetic sentences (ARI 0.92–0.95);
* ``min_samples ≈ min_cluster_size / 4`` keeps HDBSCAN from declaring a giant blob;
  ``min_samples = min_cluster_size`` collapsed the real corpus for 2 of 3 seeds;
* "eom" selection recovers clear themes best, "leaf" never produced a giant cluster
  (largest topic ≤ 17%) but splits clear themes into fragments (ARI 0.2–0.7). So the
  clusterer tries "eom" first and re-selects with "leaf" only when one cluster holds
  more than :data:`MAX_CLUSTER_SHARE` of the segments (or no cluster is found).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from narratives.config import ClusterConfig

MIN_SEGMENTS = 10
"""Below this many segments nothing is clustered: every segment is left as ``-1``."""

MAX_CLUSTER_SHARE = 0.5
"""If "eom" puts more than this share of all segments in one cluster, use "leaf"."""

@dataclass(frozen=True, slots=True)
class ClusterSizes:
    """The UMAP and HDBSCAN sizes one fit uses (recorded in the notes of the result)."""

    min_cluster_size: int
    min_samples: int
    n_neighbors: int
    n_components: int


def min_cluster_size_for(n: int) -> int:
    """``max(3, round(0.5·√n))``: 3 for n ≤ 49, 5 for 100, 11 for 500, 35 for 5,000."""
    return max(3, round(0.5 * math.sqrt(n)))


def min_samples_for(min_cluster_size: int) -> int:
    """``max(1, round(min_cluster_size / 4))``: permissive enough to avoid one giant blob."""
    return max(1, round(min_cluster_size / 4))


def choose_sizes(n: int, config: ClusterConfig) -> ClusterSizes:
    """Settings for ``n`` segments: the config's values where given, clamped to what ``n`` allows.

    UMAP needs ``n_neighbors < n``, and its spectral initialisation fails with
    "k >= N" unless ``n_components <= n - 2`` (measured for n = 3 … 30), so both are
    shrunk for small corpora. HDBSCAN needs ``min_samples < n``.
    """
    if n < MIN_SEGMENTS:
        raise ValueError(f"choose_sizes needs at least {MIN_SEGMENTS} segments, got {n}")
    min_cluster_size = config.min_cluster_size or min_cluster_size_for(n)
    min_cluster_size = min(min_cluster_size, n // 2)
    min_samples = config.min_samples or min_samples_for(min_cluster_size)
    return ClusterSizes(
        min_cluster_size=max(2, min_cluster_size),
        min_samples=max(1, min(min_samples, n - 1)),
        n_neighbors=max(2, min(config.n_neighbors, n - 1)),
        n_components=max(2, min(config.n_components, n - 2)),
    )


def keyword_min_df(n: int) -> int:
    """Segments a word or phrase must occur in to become a keyword.

    1 below 50 segments (every word counts), 2 up to 2,000, then one per thousand, so a
    name or a typo that occurs in a single sentence never labels a topic.
    """
    if n < 50:
        return 1
    return max(2, math.ceil(n / 1000))
