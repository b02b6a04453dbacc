"""Clustering stage: group segment embeddings into candidate topics.

Implementations are chosen by name (``cluster.method`` in the config) from
:data:`CLUSTERERS`. Importing this package is cheap: BERTopic, UMAP, HDBSCAN and
scikit-learn are imported only when a clusterer is fitted.

Example:
    >>> from narratives.config import ClusterConfig
    >>> clusterer = build_clusterer(ClusterConfig(), seed=42)
    >>> result = clusterer.fit(texts, embeddings, ids)  # doctest: +SKIP
"""

from __future__ import annotations

from narratives.cluster.bertopic_clusterer import OUTLIER_LABEL, BERTopicClusterer
from narratives.config import ClusterConfig
from narratives.registry import Registry
from narratives.types import Clusterer

CLUSTERERS: Registry[Clusterer] = Registry("cluster")


@CLUSTERERS.register("bertopic")
def _bertopic(config: ClusterConfig, seed: int) -> Clusterer:
    return BERTopicClusterer(config, seed)


def build_clusterer(config: ClusterConfig, seed: int) -> Clusterer:
    """The clusterer named by ``config.method``, seeded with the run's ``seed``.

    Raises:
        ConfigError: when ``config.method`` is not a registered clusterer.
    """
    return CLUSTERERS.get(config.method)(config, seed)


__all__ = ["CLUSTERERS", "OUTLIER_LABEL", "BERTopicClusterer", "build_clusterer"]
