"""Calibrated aligner: prototype similarities, plus a classifier learned from coded examples.

The score of an assignment is meant as "probability this theme is right".

Without coded examples (zero-shot) the scores come from :class:`PrototypeAligner`'s theme
similarities ``s_t`` (cosines), mapped by a documented fallback, not fitted to any data::

    share_t = softmax(s / temperature)_t            # how clearly t beats the other themes
    fit_t   = sigmoid((s_t - threshold_center) / 0.05)  # whether t is on-topic at all
    p_t     = share_t * fit_t

so a passage is only scored high when its best theme is both clearly ahead of the rest and
similar enough to be on-topic (interview small talk scores low on ``fit``). Defaults
(``temperature`` 0.05, ``threshold_center`` 0.25) were set on the invented held-out
physician passages (94% right among scores >= 0.8). A fixed mapping cannot know how good
a codebook's definitions are: on the usability codebook (one-line definitions) only ~36%
of zero-shot scores >= 0.8 are right. Give coded examples to get calibrated scores.

With accepted examples covering at least two codebook entries, a logistic regression
(``class_weight="balanced"``, seeded) is trained on the examples' embeddings, one class
per entry that has examples. Its probabilities are blended with the zero-shot ones,
``p = example_weight * p_lr + (1 - example_weight) * p_zero_shot`` (entries without
examples get only the zero-shot part), and the top probability is then mapped through an
isotonic regression fitted on out-of-fold predictions over the training examples (folds
by :attr:`Example.group` when there are at least three groups), so that among
assignments scored ``>= 0.8`` about 80% are right on data like the examples.

Rejected examples are never positive evidence: they are dropped from training, so they
cannot raise their code's score.

Theme probabilities pool their subthemes' (an entry's probability counts towards its
top-level theme); the subtheme is the most probable one within the chosen theme. With
``multi_label`` a second theme whose probability also reaches ``threshold`` is reported in
:attr:`Assignment.also`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from narratives.align.decisions import block_entries
from narratives.align.prototype import PrototypeAligner
from narratives.config import AlignConfig
from narratives.errors import check_fitted
from narratives.models import UNASSIGNED, Assignment, Codebook, Example
from narratives.types import Embedder, Vectors

__all__ = ["CalibratedAligner", "build_calibrated", "zero_shot_probabilities"]

Float64Array = NDArray[np.float64]
_FIT_SCALE = 0.05


def _softmax(z: Float64Array) -> Float64Array:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def zero_shot_probabilities(theme_sims: Float64Array, temperature: float, center: float) -> Float64Array:
    """The fallback mapping of theme cosines to probabilities (module docstring); rows in [0, 1]."""
    share = _softmax(theme_sims / temperature)
    fit = 1.0 / (1.0 + np.exp(-(theme_sims - center) / _FIT_SCALE))
    return share * fit


class CalibratedAligner:
    """Assign themes with calibrated probabilities; learns from coded examples when given.

    Args:
        threshold: Minimum probability for an assignment; below it, ``unassigned``.
        cluster_threshold: The same for clusters.
        temperature: Softmax temperature of the zero-shot mapping (cosine units).
        threshold_center: Cosine at which the zero-shot on-topic factor is one half.
        example_weight: Weight of the example classifier against the zero-shot part.
        multi_label: Also report a second theme whose probability reaches ``threshold``.
        seed: Seed of the classifier.

    Learned state after :meth:`fit`: ``prototype_`` (the fitted :class:`PrototypeAligner`),
    ``classifier_`` (``None`` without usable examples), ``classes_`` (entry column of each
    classifier class), ``calibration_`` (``None`` or an isotonic regression).
    """

    def __init__(
        self,
        threshold: float = 0.25,
        cluster_threshold: float = 0.27,
        *,
        temperature: float = 0.05,
        threshold_center: float = 0.25,
        example_weight: float = 0.9,
        multi_label: bool = False,
        seed: int = 42,
        regularization: float = 4.0,
    ) -> None:
        self.threshold = threshold
        self.cluster_threshold = cluster_threshold
        self.temperature = temperature
        self.threshold_center = threshold_center
        self.example_weight = example_weight
        self.multi_label = multi_label
        self.seed = seed
        self.regularization = regularization

    # ------------------------------------------------------------------ fitting

    def fit(self, codebook: Codebook, embedder: Embedder, examples: Sequence[Example] = ()) -> CalibratedAligner:
        """Embed the codebook's prototypes and, with examples, train and calibrate the classifier."""
        if self.temperature <= 0 or not 0.0 <= self.example_weight <= 1.0:
            raise ValueError("temperature must be > 0 and example_weight between 0 and 1")
        self.prototype_ = PrototypeAligner(threshold=0.0, cluster_threshold=0.0).fit(codebook, embedder)
        self.codebook_ = codebook
        self.entry_ids_ = self.prototype_.entry_ids_
        self.theme_ids_ = self.prototype_.theme_ids_
        index = {e: i for i, e in enumerate(self.entry_ids_)}
        # entry column -> theme column
        self._entry_theme = np.array(
            [self.theme_ids_.index(codebook.top_level(e)) for e in self.entry_ids_], dtype=np.int64
        )
        self.classifier_ = None
        self.classes_ = np.zeros(0, dtype=np.int64)
        self.calibration_ = None
        accepted = [x for x in examples if x.accepted and x.code in index]  # "none" is no entry's evidence
        if not accepted:
            return self
        # The codebook's own prototypes (definitions, keywords, its example quotes) are
        # training examples of their entries too, so every entry stays a class: without
        # them, examples for two codes would make the classifier put everything in those two.
        self._codebook_x = self.prototype_.prototype_vectors_
        self._codebook_y = np.array([index[p.entry] for p in self.prototype_.prototypes_], dtype=np.int64)
        x = np.asarray(embedder.embed([e.text for e in accepted]), dtype=np.float32)
        y = np.array([index[e.code] for e in accepted], dtype=np.int64)
        groups = np.array([e.group for e in accepted])
        self.classifier_ = self._train(x, y)
        self.classes_ = np.asarray(self.classifier_.classes_, dtype=np.int64)
        self.calibration_ = self._calibrate(x, y, groups)
        return self

    def _train(self, x: Vectors, y: NDArray[np.int64]) -> Any:
        """Logistic regression on coded examples ``x, y`` plus the codebook's prototypes."""
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(
            C=self.regularization, class_weight="balanced", max_iter=2000, random_state=self.seed
        ).fit(np.concatenate([x, self._codebook_x]), np.concatenate([y, self._codebook_y]))

    def _calibrate(self, x: Vectors, y: NDArray[np.int64], groups: NDArray[np.str_]) -> Any:
        """Isotonic map from raw top probability to P(right), on out-of-fold predictions."""
        from sklearn.isotonic import IsotonicRegression
        from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold

        unique_groups = np.unique(groups)
        if len(unique_groups) >= 3:
            splits = list(GroupKFold(n_splits=min(5, len(unique_groups))).split(x, y, groups))
        else:
            counts = np.bincount(y)
            k = int(min(5, counts[counts > 0].min()))
            if k >= 2:
                splits = list(StratifiedKFold(n_splits=k, shuffle=True, random_state=self.seed).split(x, y))
            elif len(y) >= 10:
                splits = list(KFold(n_splits=5, shuffle=True, random_state=self.seed).split(x))
            else:
                return None
        raw: list[float] = []
        right: list[float] = []
        for tr, te in splits:
            if len(np.unique(y[tr])) < 2:
                continue
            model = self._train(x[tr], y[tr])
            probs = self._entry_probabilities(x[te], model, np.asarray(model.classes_, dtype=np.int64))
            theme = self._pool(probs)
            best = theme.argmax(axis=1)
            gold = self._entry_theme[y[te]]
            raw.extend(theme[np.arange(len(te)), best].tolist())
            right.extend((best == gold).astype(float).tolist())
        if len(raw) < 20:
            return None
        return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, right)

    # ------------------------------------------------------------------ scoring

    def _check(self, embeddings: Vectors) -> Vectors:
        check_fitted(self, "prototype_")
        return self.prototype_._check(embeddings)

    def _entry_probabilities(self, x: Vectors, model: object, classes: NDArray[np.int64]) -> Float64Array:
        entry = self.prototype_._entry_chunk(x)
        theme_sims = self.prototype_._theme_scores(entry)
        p_theme = zero_shot_probabilities(theme_sims, self.temperature, self.threshold_center)
        # spread each theme's zero-shot probability over its entries by their softmax share
        share = np.exp((entry - entry.max(axis=1, keepdims=True)) / self.temperature)
        denom = np.zeros_like(p_theme)
        np.add.at(denom.T, self._entry_theme, share.T)
        p_entry = p_theme[:, self._entry_theme] * share / denom[:, self._entry_theme]
        if model is None:
            return p_entry
        p_lr = np.zeros_like(p_entry)
        p_lr[:, classes] = model.predict_proba(x)  # type: ignore[attr-defined]
        w = self.example_weight
        return w * p_lr + (1 - w) * p_entry

    def _pool(self, p_entry: Float64Array) -> Float64Array:
        out = np.zeros((p_entry.shape[0], len(self.theme_ids_)))
        np.add.at(out.T, self._entry_theme, p_entry.T)
        return out

    def probabilities(self, embeddings: Vectors) -> Float64Array:
        """Probability of every codebook entry per row, shape ``(n, len(entries))`` (uncalibrated)."""
        x = self._check(embeddings)
        return self._entry_probabilities(x, self.classifier_, self.classes_)

    @property
    def encoders(self) -> tuple[Embedder, ...]:
        """The one embedder whose (context-blended) vectors :meth:`assign` takes: its prototype
        aligner's (which also leaves it out of a copy sent to a worker)."""
        check_fitted(self, "prototype_")
        return self.prototype_.encoders

    def assign(self, embeddings: Vectors, *, blocked: Sequence[frozenset[str]] | None = None) -> list[Assignment]:
        """One :class:`~narratives.models.Assignment` per row; ``score`` is a probability.
        ``blocked[i]`` names entries row ``i`` must not get (a coder rejected them)."""
        return self._decide(self.entry_scores(embeddings, blocked=blocked), self.threshold)

    def entry_scores(self, embeddings: Vectors, *, blocked: Sequence[frozenset[str]] | None = None) -> Float64Array:
        """Probability of every codebook entry per row (:meth:`probabilities`); ``blocked[i]`` entries get 0 and
        the rest of row ``i`` is conditioned on not being one of them."""
        return block_entries(self.probabilities(embeddings), blocked, self.entry_ids_, condition=True)

    @property
    def multi_label_threshold(self) -> float:
        """An entry joins a passage's code set from this probability (the assignment threshold)."""
        return self.threshold

    def describe(self) -> dict[str, Any]:
        """What the run manifest records about how themes were assigned."""
        calibrated = self.calibration_ is not None
        return {
            "method": "calibrated", "calibrated": calibrated,
            "scores": "probability the theme is right, isotonic-calibrated on the coded examples" if calibrated
            else "zero-shot: a fixed mapping of codebook similarity, not calibrated on coded data",
        }

    def assign_clusters(self, labels: NDArray[np.int64], embeddings: Vectors) -> dict[int, Assignment]:
        """One assignment per cluster: the mean of its members' entry probabilities."""
        x = self._check(embeddings)
        labels = np.asarray(labels)
        if labels.shape != (x.shape[0],):
            raise ValueError(f"labels has shape {labels.shape}; expected ({x.shape[0]},), one per row")
        clusters = sorted(int(c) for c in np.unique(labels) if c != -1)
        if not clusters:
            return {}
        p = self.probabilities(x)
        means = np.stack([p[labels == c].mean(axis=0) for c in clusters])
        return dict(zip(clusters, self._decide(means, self.cluster_threshold), strict=True))

    def _decide(self, p_entry: Float64Array, threshold: float) -> list[Assignment]:
        theme = self._pool(p_entry)
        n = theme.shape[0]
        order = np.argsort(-theme, axis=1, kind="stable")
        best = order[:, 0]
        raw = theme[np.arange(n), best]
        calibrated = self.calibration_.predict(raw) if self.calibration_ is not None else raw
        scale = np.where(raw > 0, calibrated / np.maximum(raw, 1e-12), 0.0)
        out: list[Assignment] = []
        for i in range(n):
            t = int(best[i])
            theme_id = self.theme_ids_[t]
            sub_id = self._subtheme(p_entry[i], t)
            score = round(float(np.clip(calibrated[i], 0.0, 1.0)), 6)
            also: tuple[tuple[str, float], ...] = ()
            if self.multi_label and theme.shape[1] > 1:
                t2 = int(order[i, 1])
                p2 = float(np.clip(theme[i, t2] * scale[i], 0.0, 1.0))
                if p2 >= threshold:
                    also = ((self.theme_ids_[t2], round(p2, 6)),)
            if score >= threshold:
                out.append(Assignment(theme_id, sub_id, score, theme_id, sub_id, also=also))
            else:
                out.append(Assignment(UNASSIGNED, None, score, theme_id, sub_id))
        return out

    def _subtheme(self, p: Float64Array, theme: int) -> str | None:
        subs = [
            j for j, t in enumerate(self._entry_theme) if t == theme and self.entry_ids_[j] != self.theme_ids_[theme]
        ]
        if not subs:
            return None
        return self.entry_ids_[max(subs, key=lambda j: p[j])]


def build_calibrated(config: AlignConfig, seed: int = 42, **_: object) -> CalibratedAligner:
    """Factory registered as ``"calibrated"``; ``seed`` is the run's one seed."""
    return CalibratedAligner(
        seed=seed,
        threshold=config.threshold,
        cluster_threshold=config.cluster_threshold,
        temperature=config.temperature,
        example_weight=config.example_weight,
        multi_label=config.multi_label,
    )
