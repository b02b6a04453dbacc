"""The one small interface of each pipeline stage.

Implementations live in the stage's subpackage and are chosen by name from a
:class:`~narratives.registry.Registry`. Arrays of embeddings are ``float32`` with one
L2-normalised row per text, so a dot product is a cosine similarity.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray

from narratives.models import Assignment, Codebook, Document, Example, Segment, Topic

Vectors = NDArray[np.float32]
_S = TypeVar("_S")
_X = TypeVar("_X")
_Y = TypeVar("_Y")
Mapper = Callable[[Callable[[_S, _X], _Y], _S, Sequence[_X]], list[_Y]]
"""``mapper(fn, shared, items)`` returns ``[fn(shared, item) for item in items]``, possibly
computed elsewhere: ``shared`` is sent to each worker once. A backend's ``map`` is one
(:class:`narratives.backends.Backend`)."""
BLEND_ROWS = 65_536
"""Rows of vectors blended with their neighbours at a time (the clusterer's and the aligner's
context): bounds the float64 working copy (about 200 MB at 384 dimensions)."""


class Segmenter(Protocol):
    """Cuts one document into segments whose offsets point into ``document.text``."""

    def segment(self, document: Document) -> list[Segment]: ...


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors."""

    @property
    def identity(self) -> str:
        """Model name plus weights hash; the embedding cache is keyed on it."""
        ...

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> Vectors: ...


@dataclass(frozen=True)
class ClusterResult:
    """Cluster label per input row (``-1`` = outlier) and one :class:`Topic` per label."""

    labels: NDArray[np.int64]
    topics: tuple[Topic, ...]
    notes: tuple[str, ...] = ()
    """Human-readable notes, e.g. why a small corpus fell back to fewer clusters."""
    map_rows: NDArray[np.intp] = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    """Input rows drawn on the report's topic map (a stratified sample; empty: no map)."""
    map_xy: NDArray[np.float32] = field(default_factory=lambda: np.zeros((0, 2), dtype=np.float32))
    """2-D coordinates of ``map_rows``, one row each."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per step of the fit (``reduce``, ``hdbscan``, ``keywords``, ``layout``, ``place``);
    empty when the result came from the cluster cache."""


class Clusterer(Protocol):
    """Groups segments into candidate topics."""

    def fit(
        self, texts: Sequence[str], embeddings: Vectors, ids: Sequence[str], *, mapper: Mapper = ...
    ) -> ClusterResult:
        """``mapper`` runs the placement of segments outside the fitted sample (in-process or on Ray)."""
        ...


class Aligner(Protocol):
    """Matches segments and clusters to a codebook's themes and subthemes.

    After :meth:`fit`, :attr:`encoders` names the embedders whose vectors the aligner codes:
    a row of ``features`` is, for each encoder in turn, the segment's vector blended with its
    context (:func:`narratives.align.windows.coding_features`), side by side.
    """

    def fit(self, codebook: Codebook, embedder: Embedder, examples: Sequence[Example] = ()) -> Aligner:
        """Learn from the codebook and, when given, coded examples (accepted and rejected)."""
        ...

    @property
    def encoders(self) -> tuple[Embedder, ...]: ...

    def assign(self, features: Vectors, *, blocked: Sequence[frozenset[str]] | None = None) -> list[Assignment]:
        """One assignment per row; ``blocked[i]`` names entries row ``i`` must not be given."""
        ...

    def assign_clusters(self, labels: NDArray[np.int64], features: Vectors) -> dict[int, Assignment]:
        """One assignment per cluster label (outliers ``-1`` excluded)."""
        ...

    def entry_scores(
        self, features: Vectors, *, blocked: Sequence[frozenset[str]] | None = None
    ) -> NDArray[np.floating]:
        """Score of every codebook entry per row (columns follow ``codebook.entries``); ``blocked[i]`` entries
        of row ``i`` score lowest (and a probability aligner conditions the rest on not being one of them)."""
        ...

    @property
    def multi_label_threshold(self) -> float:
        """The :meth:`entry_scores` value from which an entry joins a passage's set of codes."""
        ...

    def describe(self) -> dict[str, Any]:
        """What the run manifest records: the method, whether scores are calibrated, and what they mean."""
        ...
