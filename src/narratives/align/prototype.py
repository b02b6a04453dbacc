"""Prototype aligner: match segments and clusters to codebook entries by cosine similarity.

Each codebook entry is represented by several *prototype* texts, embedded once at
:meth:`PrototypeAligner.fit`:

- ``"{label}. {definition}"``
- ``"{label}: {keyword}, {keyword}, ..."`` (one text for all keywords, if any)
- each example quotation
- ``"{label}. {include}"`` (the inclusion note, if any)

Exclusion notes are *not* embedded: they describe what does not belong, and a text
similar to them is no evidence for the entry.

Scoring (all on L2-normalised vectors, so a dot product is a cosine ``c``):

1. **Entry similarity** — for segment ``x`` and entry ``e`` with prototype cosines
   ``c_1 >= c_2 >= ...``, the mean of the ``top_k`` largest (default 3; all of them
   when the entry has fewer). Several prototypes must agree, so one example quote that
   happens to share a word with the segment cannot carry it alone.
2. **Theme similarity** — the maximum of the theme's own entry similarity and its
   subthemes' entry similarities. The theme with the highest similarity is chosen
   first; then, within it, the subtheme with the highest entry similarity (``None``
   when the theme has no subthemes). A flat codebook (CSV without ``parent``) is just
   themes without subthemes.
3. **Score** — ``score = clip(theme similarity, 0, 1)``: a negative cosine counts as no
   evidence, and otherwise the score *is* a cosine, so a threshold reads as "at least this
   similar to the theme's best prototypes". With all-MiniLM-L6-v2 and the shipped
   physician-migration codebook, passages plainly about a subtheme score about 0.22-0.6
   (median 0.38) and interview small talk about 0.1-0.25 (median 0.19); hence the
   default ``threshold`` of 0.25.
   Scores are rounded to 6 decimals and computed in float64, so a segment's score does
   not depend on which other segments were scored with it.
4. Below ``threshold`` the segment is :data:`~narratives.models.UNASSIGNED`, with
   ``best_theme``/``best_subtheme`` still saying what was nearest.

Clusters (:meth:`PrototypeAligner.assign_clusters`) are scored per theme as the mean of
two parts: the similarity of the cluster's normalised centroid, and the mean similarity
of its members. The centroid says what the cluster is about as a whole; the member mean
keeps a cluster whose members individually match nothing from looking like a theme
because their average direction happens to. Below ``cluster_threshold`` a cluster is
unassigned and reported as a candidate new theme (default ``cluster_threshold`` 0.27:
coherent on-topic clusters score 0.29-0.49, a cluster of small talk 0.13-0.25).

Work is done in row chunks (``chunk_size``), so memory is ``chunk_size × prototypes``
floats whatever the corpus size. Results are deterministic: no randomness, and ties go
to the entry that comes first in the codebook.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from narratives.align.decisions import block_entries
from narratives.codebook.records import NONE_CODE
from narratives.config import AlignConfig
from narratives.errors import NotFittedError, check_fitted
from narratives.models import UNASSIGNED, Assignment, Codebook, Example, Theme
from narratives.types import Embedder, Vectors

__all__ = ["NotFittedError", "Prototype", "PrototypeAligner", "prototype_texts"]

FloatArray = NDArray[np.float32]
Float64Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Prototype:
    """One text that stands for a codebook entry, and which part of the entry it came from."""

    entry: str
    kind: str
    """``definition``, ``keywords``, ``example``, ``include``, or ``coded`` (a coder's example)."""
    text: str


def prototype_texts(entry: Theme) -> list[Prototype]:
    """The prototype texts of one codebook entry (exclusion notes are left out on purpose; a group
    of codes without a definition of its own has none)."""
    if entry.group and not entry.definition:
        return []
    out = [Prototype(entry.id, "definition", f"{entry.label}. {entry.definition}")]
    if entry.keywords:
        out.append(Prototype(entry.id, "keywords", f"{entry.label}: {', '.join(entry.keywords)}"))
    out.extend(Prototype(entry.id, "example", example) for example in entry.examples)
    if entry.include:
        out.append(Prototype(entry.id, "include", f"{entry.label}. {entry.include}"))
    return out


def _top_k_mean(values: Float64Array, k: int) -> Float64Array:
    """Mean of the ``k`` largest values of each row (of all of them if a row has fewer)."""
    n = values.shape[1]
    if k >= n:
        return values.mean(axis=1)
    if k == 1:
        return values.max(axis=1)
    top = np.partition(values, n - k, axis=1)[:, n - k :]
    return top.mean(axis=1)


class PrototypeAligner:
    """Assign segments and clusters to codebook themes by prototype similarity.

    Args:
        threshold: Segments whose score is below this are unassigned.
        cluster_threshold: Clusters whose score is below this are unassigned (candidate
            new themes).
        top_k: How many of an entry's best prototype similarities are averaged into its
            similarity (1 = plain maximum).
        chunk_size: Rows scored at a time in :meth:`assign` and :meth:`entry_scores`.

    Learned state after :meth:`fit`: ``codebook_``, ``prototypes_`` (one
    :class:`Prototype` per row of ``prototype_vectors_``), ``prototype_vectors_``.
    """

    def __init__(
        self,
        threshold: float = 0.25,
        cluster_threshold: float = 0.27,
        *,
        top_k: int = 3,
        chunk_size: int = 8192,
    ) -> None:
        self.threshold = threshold
        self.cluster_threshold = cluster_threshold
        self.top_k = top_k
        self.chunk_size = chunk_size

    def __getstate__(self) -> dict[str, Any]:
        """Without the embedders (sent to workers, an aligner only codes given features)."""
        state = self.__dict__.copy()
        if "embedder_" in state:
            state["embedder_"] = None
        return state

    # ------------------------------------------------------------------ fitting

    def fit(self, codebook: Codebook, embedder: Embedder, examples: Sequence[Example] = ()) -> PrototypeAligner:
        """Embed every entry's prototype texts with ``embedder``.

        Accepted ``examples`` (a coder's verified quotes) join their entry's prototypes as
        ``coded`` prototypes; rejected ones, and passages no code fits, are not positive evidence and
        are ignored here.
        """
        if not 0.0 <= self.threshold <= 1.0 or not 0.0 <= self.cluster_threshold <= 1.0:
            raise ValueError("threshold and cluster_threshold must be between 0 and 1")
        if self.top_k < 1 or self.chunk_size < 1:
            raise ValueError("top_k and chunk_size must be >= 1")
        if not codebook.entries:
            raise ValueError(f"codebook '{codebook.name}' has no entries to align to")
        known = {e.id for e in codebook.entries}
        examples = [x for x in examples if x.code != NONE_CODE]
        unknown = sorted({x.code for x in examples if x.code not in known})
        if unknown:
            raise ValueError(f"examples use codes not in codebook '{codebook.name}': {', '.join(unknown)}")
        coded: dict[str, list[str]] = {}
        for example in examples:
            if example.accepted:
                coded.setdefault(example.code, []).append(example.text)
        prototypes = [
            p
            for entry in codebook.entries
            for p in [*prototype_texts(entry), *(Prototype(entry.id, "coded", t) for t in coded.get(entry.id, ()))]
        ]
        vectors = np.asarray(embedder.embed([p.text for p in prototypes]), dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(prototypes):
            raise ValueError(
                f"embedder returned shape {vectors.shape} for {len(prototypes)} prototype texts"
            )
        self.codebook_ = codebook
        self.embedder_ = embedder
        self.prototypes_ = tuple(prototypes)
        self.prototype_vectors_ = vectors
        self._prototypes64 = vectors.astype(np.float64)
        self.entry_ids_ = tuple(e.id for e in codebook.entries)
        index = {entry_id: i for i, entry_id in enumerate(self.entry_ids_)}
        # Prototypes are grouped by entry in codebook order, so each entry is one column slice.
        bounds: list[tuple[int, int]] = []
        start = 0
        for entry_id in self.entry_ids_:
            n = sum(1 for p in prototypes if p.entry == entry_id)
            bounds.append((start, start + n))
            start += n
        self._bounds = tuple(bounds)
        themes = codebook.themes
        self.theme_ids_ = tuple(t.id for t in themes)
        # For each theme: the entry columns pooled into its score (itself, then its subthemes).
        self._theme_members = tuple(
            np.array([index[t.id]] + [index[s.id] for s in codebook.subthemes(t.id)], dtype=np.int64)
            for t in themes
        )
        return self

    def _check(self, embeddings: Vectors) -> FloatArray:
        check_fitted(self, "prototype_vectors_")
        x = np.asarray(embeddings, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self.prototype_vectors_.shape[1]:
            raise ValueError(
                f"expected embeddings of shape (n, {self.prototype_vectors_.shape[1]}), got {x.shape}; "
                "embed segments with the same model the aligner was fitted with"
            )
        return x

    # ------------------------------------------------------------------ scoring

    def entry_scores(self, embeddings: Vectors, *, blocked: Sequence[frozenset[str]] | None = None) -> FloatArray:
        """Similarity of every row to every codebook entry, shape ``(n, len(entries))``.

        Columns follow ``codebook.entries`` (themes and subthemes, file order); values are
        the pooled prototype cosines of step 1 in the module docstring. Useful for ranking
        quotations for a theme or subtheme. ``blocked[i]`` entries of row ``i`` get -1.
        """
        x = self._check(embeddings)
        out = np.empty((x.shape[0], len(self.entry_ids_)), dtype=np.float32)
        for lo in range(0, x.shape[0], self.chunk_size):
            out[lo : lo + self.chunk_size] = self._entry_chunk(x[lo : lo + self.chunk_size])
        if blocked:
            return block_entries(out.astype(np.float64), blocked, self.entry_ids_, floor=-1.0).astype(np.float32)
        return out

    def _entry_chunk(self, x: FloatArray) -> Float64Array:
        # float64 products: the result for a row must not depend on which other rows share
        # its chunk (float32 BLAS kernels round differently for different batch shapes).
        sims = x.astype(np.float64) @ self._prototypes64.T
        cols = [_top_k_mean(sims[:, a:b], self.top_k) if b > a else np.full(len(x), -1.0) for a, b in self._bounds]
        return np.stack(cols, axis=1)

    def _theme_scores(self, entry: Float64Array) -> Float64Array:
        cols = [entry[:, members].max(axis=1) for members in self._theme_members]
        return np.stack(cols, axis=1)

    def theme_scores(self, embeddings: Vectors) -> FloatArray:
        """Theme similarity of every row, shape ``(n, len(codebook.themes))`` (step 2)."""
        x = self._check(embeddings)
        out = np.empty((x.shape[0], len(self.theme_ids_)), dtype=np.float32)
        for lo in range(0, x.shape[0], self.chunk_size):
            out[lo : lo + self.chunk_size] = self._theme_scores(self._entry_chunk(x[lo : lo + self.chunk_size]))
        return out

    # ------------------------------------------------------------------ assigning

    @property
    def encoders(self) -> tuple[Embedder, ...]:
        """The one embedder whose (context-blended) vectors :meth:`assign` takes."""
        check_fitted(self, "embedder_")
        return (self.embedder_,)

    def assign(self, embeddings: Vectors, *, blocked: Sequence[frozenset[str]] | None = None) -> list[Assignment]:
        """One :class:`~narratives.models.Assignment` per row of ``embeddings``; ``blocked[i]`` names
        entries row ``i`` must not get (a coder rejected them)."""
        x = self._check(embeddings)
        out: list[Assignment] = []
        for lo in range(0, x.shape[0], self.chunk_size):
            entry = self._entry_chunk(x[lo : lo + self.chunk_size])
            entry = block_entries(entry, (blocked or [])[lo : lo + self.chunk_size], self.entry_ids_, floor=-1.0)
            out.extend(self._decide(entry, self._theme_scores(entry), self.threshold))
        return out

    @property
    def multi_label_threshold(self) -> float:
        """An entry joins a passage's code set from this cosine (the assignment threshold)."""
        return self.threshold

    def describe(self) -> dict[str, Any]:
        """What the run manifest records about how themes were assigned."""
        return {"method": "prototype", "calibrated": False,
                "scores": "cosine similarity to the codebook's prototypes, not a probability"}

    def assign_clusters(self, labels: NDArray[np.int64], embeddings: Vectors) -> dict[int, Assignment]:
        """One assignment per cluster label, outliers (``-1``) excluded, keyed by label.

        A cluster's score per theme is the mean of its centroid's similarity and its
        members' mean similarity (see the module docstring); subthemes likewise.
        """
        x = self._check(embeddings)
        labels = np.asarray(labels)
        if labels.shape != (x.shape[0],):
            raise ValueError(f"labels has shape {labels.shape}; expected ({x.shape[0]},), one per row")
        clusters = sorted(int(c) for c in np.unique(labels) if c != -1)
        if not clusters:
            return {}
        index = {c: i for i, c in enumerate(clusters)}
        rows = np.array([index.get(int(c), -1) for c in labels], dtype=np.int64)
        keep = rows >= 0
        counts = np.bincount(rows[keep], minlength=len(clusters)).astype(np.float64)[:, None]
        sums = np.zeros((len(clusters), x.shape[1]), dtype=np.float64)
        member_entry = np.zeros((len(clusters), len(self.entry_ids_)), dtype=np.float64)
        member_theme = np.zeros((len(clusters), len(self.theme_ids_)), dtype=np.float64)
        for lo in range(0, x.shape[0], self.chunk_size):
            chunk, r = x[lo : lo + self.chunk_size], rows[lo : lo + self.chunk_size]
            k = r >= 0
            entry = self._entry_chunk(chunk[k])
            np.add.at(sums, r[k], chunk[k].astype(np.float64))
            np.add.at(member_entry, r[k], entry)
            np.add.at(member_theme, r[k], self._theme_scores(entry))
        member_entry /= counts
        member_theme /= counts
        norms = np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
        centroids = (sums / norms).astype(np.float32)
        centroid_entry = self._entry_chunk(centroids)
        centroid_theme = self._theme_scores(centroid_entry)
        decided = self._decide(
            (centroid_entry + member_entry) / 2, (centroid_theme + member_theme) / 2, self.cluster_threshold
        )
        return dict(zip(clusters, decided, strict=True))

    def _decide(self, entry: Float64Array, theme: Float64Array, threshold: float) -> list[Assignment]:
        n = theme.shape[0]
        best = np.argmax(theme, axis=1)
        scores = np.round(np.clip(theme[np.arange(n), best], 0.0, 1.0), 6).tolist()
        # Best subtheme of every theme for every row (-1 for a theme without subthemes).
        sub_of_theme = np.full((n, len(self.theme_ids_)), -1, dtype=np.int64)
        for t, members in enumerate(self._theme_members):
            subs = members[1:]
            if len(subs):
                sub_of_theme[:, t] = subs[np.argmax(entry[:, subs], axis=1)]
        subs_chosen = sub_of_theme[np.arange(n), best].tolist()
        ids = self.entry_ids_
        out: list[Assignment] = []
        for t, s, score in zip(best.tolist(), subs_chosen, scores, strict=True):
            theme_id = self.theme_ids_[t]
            sub_id = ids[s] if s >= 0 else None
            if score >= threshold:
                out.append(Assignment(theme_id, sub_id, score, theme_id, sub_id))
            else:
                out.append(Assignment(UNASSIGNED, None, score, theme_id, sub_id))
        return out


def build_prototype(config: AlignConfig, seed: int = 42, **_: object) -> PrototypeAligner:
    """Factory registered as ``"prototype"``: thresholds come from ``config``; it has no
    random component, so ``seed`` is accepted for the common factory signature and unused."""
    del seed
    return PrototypeAligner(threshold=config.threshold, cluster_threshold=config.cluster_threshold)

