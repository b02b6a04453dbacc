"""BERTopic's steps on pre-computed embeddings: UMAP, HDBSCAN, c-TF-IDF; sized from the corpus, seeded.

The stages run explicitly so each can be measured and guarded:

1. fewer than :data:`~narratives.cluster.sizing.MIN_SEGMENTS` segments: nothing is
   clustered, every segment is ``-1`` and a note says why;
2. UMAP (cosine, seeded, started from the vectors' principal components,
   :mod:`narratives.cluster.umap_start`; sizes clamped to the corpus) reduces the embeddings.
   It is umap-learn's graph and layout with neighbours found by matrix products and new
   points placed on every core (:mod:`narratives.cluster.reduction`); the map is the same with
   any number of threads. Above ``cluster.fit_sample`` segments it is
   fitted on a seeded sample, and the rest are placed afterwards (:mod:`narratives.cluster.placement`);
3. HDBSCAN clusters them with "eom" selection, re-selecting with "leaf" when one cluster
   swallows more than half the corpus (see :mod:`narratives.cluster.sizing`);
   if HDBSCAN finds no cluster, every segment is ``-1`` with a note; no clusters are
   forced with k-means, because invented topics would look as sure as real ones;
4. keywords are BERTopic's c-TF-IDF (:func:`narratives.cluster.keywords.topic_keywords`,
   tested against BERTopic's own scores) over a cleaned, stop-worded vocabulary with
   ``reduce_frequent_words``; importing BERTopic for it cost 6.7 s (it loads torch);
5. a seeded sample of at most 3,000 segments is laid out in 2-D for the report's topic
   map (:mod:`narratives.cluster.layout`).

Outliers stay ``-1``: reassigning them by embedding similarity inflates the
largest topics with sentences that fit none, and the aligner scores every segment anyway.

Heavy libraries (umap, hdbscan, scikit-learn) are imported inside :meth:`fit`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from narratives.backends import Mapper, batches, local_map
from narratives.cluster.keywords import (
    build_vectorizer,
    clean_for_keywords,
    distinct_keywords,
    make_label,
    topic_keywords,
)
from narratives.cluster.layout import layout_2d, map_sample
from narratives.cluster.placement import PLACE_CHUNK, FittedMap, fit_rows, place
from narratives.cluster.reduction import Reduction, fit_reduction
from narratives.cluster.sizing import MAX_CLUSTER_SHARE, MIN_SEGMENTS, ClusterSizes, choose_sizes, keyword_min_df
from narratives.config import ClusterConfig
from narratives.models import Topic
from narratives.types import ClusterResult, Vectors

OUTLIER_LABEL = "outliers (unclustered)"
SMALL_CORPUS = 50
"""Below this many segments a note warns that topics are tentative (measured: on 20–40
random unit vectors UMAP + HDBSCAN still reported 2–8 clusters)."""
REPRESENTATIVES = 3
"""Segment ids kept per topic: the ones closest to the topic's centroid."""

Labels = NDArray[np.int64]


class BERTopicClusterer:
    """Clusters segment embeddings into candidate topics with readable keyword labels.

    ``__init__`` only stores its arguments; after :meth:`fit` the fitted parts are kept as
    ``sizes_``, ``selection_`` ("eom" or "leaf"), ``reduced_`` (the reduced vectors of every
    segment) and ``timings_`` (seconds per step).
    """

    def __init__(self, config: ClusterConfig, seed: int) -> None:
        self.config = config
        self.seed = seed

    def fit(
        self, texts: Sequence[str], embeddings: Vectors, ids: Sequence[str], *, mapper: Mapper = local_map
    ) -> ClusterResult:
        """Cluster ``texts`` by their ``embeddings``; ``ids`` name the representative segments.

        Above ``config.fit_sample`` segments UMAP and HDBSCAN are fitted on a seeded sample
        and the other segments are placed in chunks through ``mapper`` (in-process by
        default; the Ray backend passes its own), see :mod:`narratives.cluster.placement`.

        Raises:
            ValueError: when the lengths of ``texts``, ``embeddings`` and ``ids`` differ or
                ``embeddings`` is not a 2-D array.
        """
        vectors = np.asarray(embeddings, dtype=np.float32)
        n = len(texts)
        if vectors.ndim != 2 or vectors.shape[0] != n or len(ids) != n:
            raise ValueError(
                f"clusterer got {n} texts, {len(ids)} ids and embeddings of shape {vectors.shape}; "
                "pass one embedding row and one id per text"
            )
        self.sizes_: ClusterSizes | None = None
        self.selection_: str | None = None
        self.reduced_: NDArray[np.float32] | None = None
        self.timings_: dict[str, float] = {}
        if n < MIN_SEGMENTS:
            note = f"too few segments to cluster (n={n}); every segment is left unclustered"
            return _all_outliers(n, (note,))

        sample = fit_rows(n, self.config.fit_sample, self.seed)
        sizes = choose_sizes(len(sample), self.config)
        self.sizes_ = sizes
        notes = [
            f"UMAP n_neighbors={sizes.n_neighbors}, n_components={sizes.n_components}; HDBSCAN "
            f"min_cluster_size={sizes.min_cluster_size}, min_samples={sizes.min_samples} (n={n}, seed={self.seed})"
        ]
        if len(sample) < n:
            notes.append(
                f"UMAP and HDBSCAN were fitted on a seeded sample of {len(sample):,} of {n:,} segments "
                f"(cluster.fit_sample); the other {n - len(sample):,} were placed by UMAP transform and "
                "HDBSCAN approximate_predict"
            )
        if n < SMALL_CORPUS:
            notes.append(
                f"small corpus (n={n}): UMAP + HDBSCAN can find groups even in unrelated sentences; "
                "treat these topics as tentative"
            )
        started = time.perf_counter()
        reducer, reduced_sample = self._reduce(vectors[sample], sizes)
        self.timings_ = {"reduce": time.perf_counter() - started}
        started = time.perf_counter()
        model, sample_labels, selection, selection_note = self._cluster(reduced_sample, sizes)
        self.timings_["hdbscan"] = time.perf_counter() - started
        self.selection_ = selection
        if selection_note:
            notes.append(selection_note)
        self.reduced_, labels = self._place_rest(
            vectors, sample, reduced_sample, sample_labels, FittedMap(reducer, model), mapper
        )
        if not (labels >= 0).any():
            notes.append(
                f"HDBSCAN found no cluster among {n} segments; every segment is left unclustered "
                "(try a smaller cluster.min_cluster_size)"
            )
            return _all_outliers(n, tuple(notes))

        started = time.perf_counter()
        labels, keywords = self._describe(texts, labels)
        topics = _topics(labels, keywords, vectors, ids, self.config.top_n_words)
        self.timings_["keywords"] = time.perf_counter() - started
        outliers = int((labels == -1).sum())
        notes.append(
            f"{len(topics) - (outliers > 0)} topics; {outliers} of {n} segments ({outliers / n:.0%}) are outliers (-1)"
        )
        started = time.perf_counter()
        map_rows = map_sample(labels, self.seed)
        map_xy = layout_2d(self.reduced_[map_rows], self.seed)
        self.timings_["layout"] = time.perf_counter() - started
        return ClusterResult(labels=labels, topics=topics, notes=tuple(notes), map_rows=map_rows, map_xy=map_xy,
                             timings=dict(self.timings_))

    def _place_rest(
        self, vectors: Vectors, sample: NDArray[np.intp], reduced_sample: NDArray[np.float32],
        sample_labels: Labels, fitted: FittedMap, mapper: Mapper,
    ) -> tuple[NDArray[np.float32], Labels]:
        """Reduced vectors and labels for every row: the sample's own, the rest placed in chunks."""
        n = len(vectors)
        if len(sample) == n:
            return reduced_sample, sample_labels
        started = time.perf_counter()
        reduced = np.empty((n, reduced_sample.shape[1]), dtype=np.float32)
        labels = np.empty(n, dtype=np.int64)
        reduced[sample], labels[sample] = reduced_sample, sample_labels
        rest = np.setdiff1d(np.arange(n, dtype=np.intp), sample, assume_unique=True)
        pieces = batches(rest, PLACE_CHUNK)
        for rows, (chunk_reduced, chunk_labels) in zip(
            pieces, mapper(place, fitted, [vectors[rows] for rows in pieces]), strict=True
        ):
            reduced[rows], labels[rows] = chunk_reduced, chunk_labels
        self.timings_["place"] = time.perf_counter() - started
        return reduced, labels

    def _reduce(self, vectors: Vectors, sizes: ClusterSizes) -> tuple[Reduction, NDArray[np.float32]]:
        reduction, reduced = fit_reduction(vectors, n_neighbors=sizes.n_neighbors, n_components=sizes.n_components,
                                           min_dist=0.0, seed=self.seed)
        return reduction, np.nan_to_num(reduced).astype(np.float32)

    def _cluster(self, reduced: NDArray[np.float32], sizes: ClusterSizes) -> tuple[Any, Labels, str, str]:
        """The fitted HDBSCAN, its labels, the selection method used, and a note when it fell back to "leaf"."""
        from hdbscan import HDBSCAN

        def run(method: str) -> tuple[Any, Labels]:
            # HDBSCAN has no random state: the same reduced vectors give the same labels.
            model = HDBSCAN(
                min_cluster_size=sizes.min_cluster_size,
                min_samples=sizes.min_samples,
                metric="euclidean",
                cluster_selection_method=method,
                prediction_data=True,
            ).fit(reduced)
            return model, np.asarray(model.labels_, dtype=np.int64)

        model, labels = run("eom")
        share = _largest_share(labels)
        if 0 < share <= MAX_CLUSTER_SHARE:
            return model, labels, "eom", ""
        reason = f"one cluster held {share:.0%} of the segments" if share else "it found no cluster"
        note = f"HDBSCAN 'eom' selection was replaced by 'leaf' because {reason}"
        return (*run("leaf"), "leaf", note)

    def _describe(
        self, texts: Sequence[str], labels: Labels
    ) -> tuple[Labels, dict[int, tuple[str, ...]]]:
        """Labels renumbered by size (0 = largest, -1 kept) and ranked keywords per label."""
        labels = _renumber_by_size(labels)
        cleaned = [clean_for_keywords(text) for text in texts]
        try:
            vectorizer = build_vectorizer(cleaned, self.config.extra_stop_words, keyword_min_df(len(texts)))
        except ValueError:
            return labels, {}
        top_n = max(self.config.top_n_words * 2, 10)
        return labels, topic_keywords(cleaned, labels.tolist(), vectorizer, top_n)


def _largest_share(labels: Labels) -> float:
    clustered = labels[labels >= 0]
    if clustered.size == 0:
        return 0.0
    return float(np.bincount(clustered).max() / labels.size)


def _renumber_by_size(labels: Labels) -> Labels:
    """0 for the largest cluster, 1 for the next (ties by old label); -1 stays -1."""
    clustered = labels[labels >= 0]
    if clustered.size == 0:
        return labels.astype(np.int64, copy=True)
    counts = np.bincount(clustered)
    present = np.flatnonzero(counts)
    order = present[np.lexsort((present, -counts[present]))]
    mapping = np.full(counts.size, -1, dtype=np.int64)
    mapping[order] = np.arange(order.size)
    return np.where(labels >= 0, mapping[np.maximum(labels, 0)], -1).astype(np.int64)


def _all_outliers(n: int, notes: tuple[str, ...]) -> ClusterResult:
    topics = (Topic(cluster=-1, size=n, label=OUTLIER_LABEL, keywords=()),) if n else ()
    return ClusterResult(labels=np.full(n, -1, dtype=np.int64), topics=topics, notes=notes)


def _representatives(members: NDArray[np.intp], vectors: Vectors, ids: Sequence[str]) -> tuple[str, ...]:
    """Ids of the members closest (cosine) to their centroid; ties go to the earlier segment."""
    rows = vectors[members].astype(np.float64)
    rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    centroid = rows.mean(axis=0)
    order = np.argsort(-(rows @ centroid), kind="stable")[:REPRESENTATIVES]
    return tuple(ids[int(members[i])] for i in order)


def _topics(
    labels: Labels, keywords: dict[int, tuple[str, ...]], vectors: Vectors, ids: Sequence[str], top_n: int
) -> tuple[Topic, ...]:
    """One Topic per label, outliers (-1) first when present, then by cluster number."""
    topics = []
    for cluster in sorted(set(labels.tolist())):
        members = np.flatnonzero(labels == cluster)
        ranked = distinct_keywords(keywords.get(cluster, ()), top_n)
        if cluster == -1:
            topics.append(Topic(cluster=-1, size=int(members.size), label=OUTLIER_LABEL, keywords=ranked))
            continue
        topics.append(
            Topic(
                cluster=cluster,
                size=int(members.size),
                label=make_label(keywords.get(cluster, ())) or f"topic {cluster} (no keywords)",
                keywords=ranked,
                representative_ids=_representatives(members, vectors, ids),
            )
        )
    return tuple(topics)
