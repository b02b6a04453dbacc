"""Learned aligner: the codebook's zero-shot scores are the prior, the coders' decisions correct it.

Without decisions it codes exactly as the zero-shot
:class:`~narratives.align.calibrated.CalibratedAligner`, and says its scores are not calibrated.
With decisions (``align.prior``, the default):

1. **Encoders.** The run's embedding model (untuned: the prior reads it), fine-tuned on the
   decisions when there are at least ``align.tune_from`` accepted ones (:mod:`narratives.align.tuning`,
   ``align.tune_epochs``; cached), and beside it each model in ``align.extra_models`` (by default
   the multilingual ``multilingual-e5-small``, frozen). A passage's features are, for each encoder,
   its vector blended with its question and surrounding text (:mod:`narratives.align.windows`), the
   encoders' vectors side by side.
2. **Classifier.** A multinomial logistic regression on the standardised features
   (:mod:`narratives.align.softmax`), one class per codebook entry and one for ``none``, whose
   logits start from the zero-shot log-probabilities (``none`` is what they leave). Every weight,
   the per-code biases and the prior's own weight are penalised towards "the prior alone", so a
   few decisions make corrections near what they show and many earn a large departure. Accepted
   decisions are positive rows, a passage no code fits is a ``none`` row, and every rejected
   (passage, code) pushes that passage's probability of that code down; a code coders only ever
   took away never scores above the codebook's own score for it.
3. **Calibration.** From ``_MIN_PRIOR_CALIBRATION_ROWS`` decisions predicted out of fold the top
   theme's probability is mapped to "probability the theme is right" by a logistic fit (Platt
   scaling, held near the identity by ``_PLATT_PRIOR_ROWS`` pseudo-rows); folds hold whole groups
   (documents or sessions) out when there are at least three. Fewer decisions are the passages a
   coder was handed, not a sample: a map fitted to them would move every passage across the
   threshold, so the score stays the model's probability. The same out-of-fold predictions give
   the precision and coverage at each threshold (:attr:`LearnedAligner.reliability_`) and the
   round check (:class:`RoundCheck`): how many decided passages the codebook alone and the
   learned coding get right, each predicted without itself.

``align.prior=false`` is the method before issue 29 (the decisions and the codebook's texts as
training rows of a balanced classifier, no ``none``, Platt from 30 decisions), kept to compare.

The classifier and calibration are kept in the run's cache by their inputs
(:mod:`narratives.align.fit_cache`), as the tuned model is: a re-run with the same examples,
codebook and encoders restores them instead of fitting again.

Measured on the usability think-aloud set, folds by session (``benchmarks/README.md``, "First
rounds of decisions").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, astuple, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from narratives.align.calibrated import CalibratedAligner
from narratives.align.decisions import block_entries
from narratives.align.fit_cache import FitCache, FittedState, fit_key
from narratives.align.prototype import prototype_texts
from narratives.align.softmax import SoftmaxModel, fit_softmax
from narratives.align.tuning import TuneSettings
from narratives.align.windows import example_features
from narratives.codebook.records import NONE_CODE
from narratives.config import AlignConfig, EmbedConfig, default_cache_dir
from narratives.embed.device import resolve_device
from narratives.errors import check_fitted
from narratives.models import UNASSIGNED, Assignment, Codebook, Example
from narratives.types import Embedder, Vectors

__all__ = ["LearnedAligner", "ReliabilityRow", "RoundCheck"]

Float64Array = NDArray[np.float64]

RELIABILITY_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
_MIN_CALIBRATION_ROWS = 30
_MIN_PRIOR_CALIBRATION_ROWS = 150
"""With the prior, scores are mapped to "probability right" only from this many decisions predicted out of fold."""
_PLATT_PRIOR_ROWS = 300.0
"""How many decisions' worth of weight keeps the score map at the identity (see :func:`_shrunk_platt`). The
learned probabilities are already probabilities (the prior has a ``none`` class), and the out-of-fold models
the map is fitted to are weaker than the final one (each sees 4/5 of the decisions), so a free map under-states
the final scores. On the usability folds with ~667 decisions, 20 pseudo-rows gave 92% right among scores >= 0.8
(18% of passages), 100 gave 90% (22%), 300 gave 82% (32%); at 200 decisions 85%, 79% and 76%."""
_PRIOR_FLOOR = 1e-4
"""The smallest prior probability taken (its log is the offset): evidence can always lift an entry."""


@dataclass(frozen=True, slots=True)
class ReliabilityRow:
    """Out-of-fold on the coders' examples: among passages scored at least ``threshold``, the
    share whose theme was right (``precision``) and the share of all passages that many are
    (``coverage``)."""

    threshold: float
    precision: float | None
    coverage: float
    n: int


@dataclass(frozen=True, slots=True)
class RoundCheck:
    """What a round of decisions did, measured on the decisions themselves.

    ``decisions`` passages, each coded by a model fitted without it (folds by document): the codebook
    alone coded ``codebook_right`` of them as the coders did, the learned coding ``learned_right``
    (a passage no code fits is right when left unassigned); ``fixed`` are right only with learning,
    ``broke`` only without. ``contradicted``: decisions the model fitted on all of them still codes
    otherwise (the passages themselves keep the coders' codes)."""

    decisions: int
    codebook_right: int
    learned_right: int
    fixed: int
    broke: int
    contradicted: int

    @property
    def verdict(self) -> str:
        """``better``, ``worse`` or ``no clear difference``: a sign test on the passages only one coding gets
        right (the difference must exceed 1.96 standard deviations of a fair coin's)."""
        changed = self.fixed + self.broke
        if changed and abs(self.fixed - self.broke) > 1.96 * changed**0.5:
            return "better" if self.fixed > self.broke else "worse"
        return "no clear difference"


class LearnedAligner:
    """Assign themes learned from coders' examples, with calibrated scores.

    Args:
        threshold: Minimum score for an assignment; below it, ``unassigned``.
        cluster_threshold: The same for clusters (expected share of a cluster's segments).
        context_weight: Weight of a passage's question and surrounding text in its features.
        regularization: Inverse L2 strength of the classifier on standardised features.
        tune: Fine-tuning settings for the run's model (``None``: keep it frozen).
        extra_models: Names of frozen models whose vectors join the features (multilingual-e5-small);
            built from ``embed`` only when there are examples to learn from.
        embed: The run's embedding settings, for the extra models.
        cache_dir: The run's cache, where tuned models (``<cache_dir>/tuned``) and every encoder's
            vectors are kept (default: :func:`~narratives.config.default_cache_dir`).
        multi_label: Also report a second theme whose score reaches ``threshold``.
        seed: Seed for fine-tuning and the calibration folds.
        progress: Show a progress bar while fine-tuning.

    Learned state after :meth:`fit`: ``encoders_``, ``model_`` (``None`` when zero-shot),
    ``platt_`` (slope and intercept, or ``None``), ``reliability_``, ``tuned_`` (the tuned
    model's folder or ``None``), ``zero_shot_`` (the fallback aligner when no examples apply).
    """

    def __init__(
        self,
        threshold: float = 0.25,
        cluster_threshold: float = 0.2,
        *,
        context_weight: float = 0.5,
        regularization: float = 0.05,
        tune: TuneSettings | None = None,
        extra_models: Sequence[str] = (),
        embed: EmbedConfig | None = None,
        cache_dir: Path | None = None,
        multi_label: bool = False,
        seed: int = 42,
        temperature: float = 0.05,
        prior: bool = True,
        tune_from: int = 200,
        progress: bool = False,
    ) -> None:
        self.threshold = threshold
        self.cluster_threshold = cluster_threshold
        self.context_weight = context_weight
        self.regularization = regularization
        self.tune = tune
        self.extra_models = tuple(extra_models)
        self.embed = embed or EmbedConfig()
        self.cache_dir = cache_dir or default_cache_dir()
        self.multi_label = multi_label
        self.seed = seed
        self.temperature = temperature
        self.prior = prior
        self.tune_from = tune_from
        self.progress = progress

    def __getstate__(self) -> dict[str, Any]:
        """Without the embedders (sent to workers, an aligner only codes given features)."""
        state = self.__dict__.copy()
        if "encoders_" in state:
            state["encoders_"] = ()
        return state

    # ------------------------------------------------------------------ fitting

    def fit(self, codebook: Codebook, embedder: Embedder, examples: Sequence[Example] = ()) -> LearnedAligner:
        """Learn from ``examples`` (accepted, rejected and, with the prior, ``none``)."""
        known = {e.id for e in codebook.entries}
        if self.prior:
            known.add(NONE_CODE)
        usable = [x for x in examples if x.code in known and (x.accepted or x.code != NONE_CODE)]
        accepted = [x for x in usable if x.accepted]
        self.codebook_ = codebook
        self.entry_ids_ = tuple(e.id for e in codebook.entries)
        self.theme_ids_ = tuple(t.id for t in codebook.themes)
        self._entry_theme = np.array([self.theme_ids_.index(codebook.top_level(e)) for e in self.entry_ids_])
        self.model_: SoftmaxModel | None = None
        self.platt_: tuple[float, float] | None = None
        self.reliability_: tuple[ReliabilityRow, ...] = ()
        self.tuned_: Path | None = None
        self.multi_threshold_: float | None = None
        self.check_: RoundCheck | None = None
        self.calibration_note_ = ""
        self.n_examples_ = sum(x.code != NONE_CODE for x in accepted)
        self.n_no_code_ = len(accepted) - self.n_examples_
        self.n_rejections_ = len(usable) - len(accepted)
        zero_shot = CalibratedAligner(
            self.threshold, self.cluster_threshold, temperature=self.temperature,
            multi_label=self.multi_label, seed=self.seed,
        ).fit(codebook, embedder)
        self.prior_dim_ = int(zero_shot.prototype_.prototype_vectors_.shape[1])
        self.prior_: CalibratedAligner | None = None
        self.skip_first_ = False
        self.only_rejected_ = np.zeros(0, dtype=np.int64)
        learn = bool(usable) if self.prior else len({x.code for x in accepted}) >= 2
        if not learn:
            self.zero_shot_: CalibratedAligner | None = zero_shot
            self.encoders_: tuple[Embedder, ...] = (embedder,)
            return self
        self.zero_shot_ = None
        if self.prior:
            self.prior_ = zero_shot
        from narratives.embed import build_embedder

        base = self._tuned(embedder, codebook, usable)
        extras = [build_embedder(self.embed.model_copy(update={"model": m, "runtime": "torch"}), self.cache_dir)
                  for m in self.extra_models]
        # With the prior, the run's own (untuned) vectors come first: the prior reads them, the classifier
        # reads the rest when a tuned model stands beside them.
        self.skip_first_ = self.prior and base is not embedder
        self.encoders_ = (embedder, base, *extras) if self.skip_first_ else (base, *extras)
        self.encoder_ids_ = tuple(e.identity for e in self.encoders_)  # kept when a copy leaves the encoders out
        given = {x.code for x in accepted}
        self.only_rejected_ = np.array(sorted({self.entry_ids_.index(x.code) for x in usable
                                               if not x.accepted and x.code not in given}), dtype=np.int64)
        fits = FitCache(self.cache_dir)
        key = fit_key(self.encoder_ids_, codebook, usable, {
            "regularization": self.regularization, "context_weight": self.context_weight, "seed": self.seed,
            "prior": self.prior, "threshold": self.threshold,  # the round check codes at the threshold
        })
        found = fits.get(key)
        if found is not None:
            self.model_, self.platt_, self.multi_threshold_ = found.model, found.platt, found.multi_threshold
            self.reliability_ = tuple(ReliabilityRow(*row) for row in found.reliability)
            self.calibration_note_ = found.calibration_note
            self.check_ = RoundCheck(*found.check) if found.check else None
            return self
        index = {e: i for i, e in enumerate(self.entry_ids_)}
        index[NONE_CODE] = len(self.entry_ids_)
        prototypes = [p for entry in codebook.entries for p in prototype_texts(entry)]
        proto_x = self._classifier_rows(
            example_features(self.encoders_, [Example(p.text, p.entry) for p in prototypes], 0.0))
        proto_y = np.array([index[p.entry] for p in prototypes], dtype=np.int64)
        rejected = [x for x in usable if not x.accepted]
        x_acc, off_acc = self._rows(accepted)
        y_acc = np.array([index[x.code] for x in accepted], dtype=np.int64)
        x_rej, off_rej = self._rows(rejected)
        y_rej = np.array([index[x.code] for x in rejected], dtype=np.int64)
        self._train_data = (proto_x, proto_y, x_rej, y_rej, off_rej, np.array([x.text for x in rejected]))
        self.model_ = self._train(x_acc, y_acc, off_acc, [x.text for x in accepted])
        self._calibrate(x_acc, y_acc, off_acc, np.array([x.group for x in accepted]), [x.text for x in accepted])
        if self.check_ is not None:
            self.check_ = replace(self.check_, contradicted=self._contradicted(x_acc, y_acc, off_acc, x_rej, y_rej,
                                                                                 off_rej))
        rows: tuple[ReliabilityRow, ...] = self.reliability_
        check = self.check_
        fits.put(key, FittedState(self.model_, self.platt_, self.multi_threshold_,
                                  tuple((r.threshold, r.precision, r.coverage, r.n) for r in rows),
                                  self.calibration_note_,
                                  () if check is None else astuple(check)))
        return self

    def _rows(self, examples: Sequence[Example]) -> tuple[Float64Array, Float64Array | None]:
        """The classifier's features of ``examples`` and, with the prior, the prior's log-probabilities."""
        width = sum(e.dimension for e in self.encoders_)
        features = example_features(self.encoders_, examples, self.context_weight) if examples \
            else np.zeros((0, width), dtype=np.float32)
        return self._classifier_rows(features), self._offset(features)

    def _classifier_rows(self, features: Vectors) -> Float64Array:
        return np.asarray(features[:, self.prior_dim_:] if self.skip_first_ else features, dtype=np.float64)

    def _offset(self, features: Vectors) -> Float64Array | None:
        """The prior's log-probabilities of each entry and of ``none`` (what the zero-shot scores leave)."""
        if self.prior_ is None:
            return None
        p = self.prior_.probabilities(np.asarray(features[:, : self.prior_dim_], dtype=np.float32)) \
            if len(features) else np.zeros((0, len(self.entry_ids_)))
        none = 1.0 - p.sum(axis=1, keepdims=True)
        return np.log(np.clip(np.concatenate([p, none], axis=1), _PRIOR_FLOOR, None))

    def _tuned(self, embedder: Embedder, codebook: Codebook, examples: Sequence[Example]) -> Embedder:
        """The run's model (``embed.model``) fine-tuned on ``examples`` (cached), or ``embedder`` itself
        when there is nothing to tune (tuning off, too few examples, or a model that cannot be trained)."""
        accepted = sum(x.accepted and x.code != NONE_CODE for x in examples)
        if self.tune is None or self.tune.epochs == 0 or accepted < self.tune_from:
            return embedder
        from narratives.align.tuning import tune_encoder
        from narratives.embed import CachedEmbedder, EmbeddingCache, SentenceTransformerEmbedder, resolve_model

        resolved = resolve_model(self.embed.model, allow_network=self.embed.allow_network)
        if resolved.engine != "sentence-transformers":
            return embedder
        coded = [x for x in examples if x.code != NONE_CODE]
        self.tuned_ = tune_encoder(resolved, codebook, coded, self.tune, self.cache_dir, progress=self.progress)
        tuned = resolve_model(str(self.tuned_))
        # One text per forward pass: still a fixed shape per text (so a vector never depends on its
        # neighbours), and windows and passages, nearly all of different token lengths, are not
        # padded into batches of 16 copies as the base model's fixed-shape batches would.
        device = resolve_device(self.embed.device)
        return CachedEmbedder(SentenceTransformerEmbedder(tuned, batch_size=1, device=device),
                              EmbeddingCache(self.cache_dir))

    def _train(
        self, x: Float64Array, y: NDArray[np.int64], offset: Float64Array | None, texts: Sequence[str],
        held_out: frozenset[str] = frozenset(),
    ) -> SoftmaxModel:
        """The classifier on examples ``x, y`` plus the rejections (but those of ``held_out`` passages, which an
        out-of-fold model must not see). With the prior, the examples correct the zero-shot scores
        (``offset``); without it, the codebook's prototypes are training rows and classes are balanced."""
        proto_x, proto_y, x_rej, y_rej, off_rej, rej_texts = self._train_data
        if held_out and len(rej_texts):
            keep = np.array([t not in held_out for t in rej_texts], dtype=bool)
            x_rej, y_rej = x_rej[keep], y_rej[keep]
            off_rej = None if off_rej is None else off_rej[keep]
        weights = _multi_label_weights(texts)
        if offset is not None:
            return fit_softmax(
                x, y, len(self.entry_ids_) + 1, weights=weights, rejected_x=x_rej, rejected_class=y_rej,
                offset=offset, rejected_offset=off_rej, center_on=np.concatenate([x, x_rej, proto_x]),
                c=self.regularization,
            )
        features = np.concatenate([x, proto_x])
        labels = np.concatenate([y, proto_y])
        weights = np.concatenate([weights, np.ones(len(proto_y))])
        counts = np.bincount(labels, weights=weights, minlength=len(self.entry_ids_))
        present = int((counts > 0).sum())
        weights = weights * weights.sum() / (present * counts[labels])
        return fit_softmax(
            features, labels, len(self.entry_ids_), weights=weights,
            rejected_x=x_rej if len(y_rej) else None, rejected_class=y_rej, c=self.regularization,
        )

    def _entry_probabilities(self, model: SoftmaxModel, x: Float64Array, offset: Float64Array | None) -> Float64Array:
        """Each entry's probability (``none``'s column, with the prior, left out: rows sum to at most 1). With
        the prior, an entry that coders only ever took away never scores above the codebook's own score."""
        p = model.probabilities(x, offset)[:, : len(self.entry_ids_)]
        if offset is not None and len(self.only_rejected_):
            cols = self.only_rejected_
            p[:, cols] = np.minimum(p[:, cols], np.exp(offset[:, cols]))
        return p

    def _calibrate(self, x: Float64Array, y: NDArray[np.int64], offset: Float64Array | None,
                   groups: NDArray[np.str_], texts: Sequence[str]) -> None:
        """Platt map and reliability table from out-of-fold predictions over the examples."""
        splits = _folds(y, groups, np.array(texts), self.seed)
        raw: list[float] = []
        right: list[bool] = []
        oof = np.full((len(y), len(self.entry_ids_)), np.nan)
        coded = y < len(self.entry_ids_)
        gold_theme = self._gold_theme(y)
        for train, test in splits:
            if len(np.unique(y[train])) < 2:
                continue
            model = self._train(x[train], y[train], None if offset is None else offset[train],
                                [texts[i] for i in train], frozenset(texts[i] for i in test))
            oof[test] = self._entry_probabilities(model, x[test], None if offset is None else offset[test])
            theme = self._pool(oof[test])
            best = theme.argmax(axis=1)
            raw.extend(theme[np.arange(len(test)), best].tolist())
            right.extend((best == gold_theme[test]).tolist())
        self.multi_threshold_ = _best_set_threshold(
            oof[coded], y[coded], [t for t, c in zip(texts, coded, strict=True) if c])
        predicted = ~np.isnan(oof).any(axis=1)
        if offset is not None and predicted.any():
            before = self._coded_as(np.exp(offset[predicted, : len(self.entry_ids_)]), gold_theme[predicted])
            after = self._coded_as(oof[predicted], gold_theme[predicted])
            self.check_ = RoundCheck(int(predicted.sum()), int(before.sum()), int(after.sum()),
                                     int((after & ~before).sum()), int((before & ~after).sum()), 0)
        if len(raw) < _MIN_CALIBRATION_ROWS:
            self.calibration_note_ = (
                f"only {len(raw)} examples could be predicted out of fold (needs {_MIN_CALIBRATION_ROWS})"
            )
            return
        if len(set(right)) < 2:
            self.calibration_note_ = f"all {len(raw)} out-of-fold predictions were {'right' if right[0] else 'wrong'}"
            return
        if self.prior_ is not None and len(raw) < _MIN_PRIOR_CALIBRATION_ROWS:
            # The decisions of a first round are the passages a coder was handed (the surest, or the least
            # sure): a score map fitted to them alone moves every passage across the threshold.
            self.calibration_note_ = (f"a score map needs {_MIN_PRIOR_CALIBRATION_ROWS} decided passages predicted "
                                      f"out of fold ({len(raw)} so far)")
        elif self.prior_ is not None:
            self.platt_ = _shrunk_platt(_logit(np.asarray(raw)), np.asarray(right, dtype=float), _PLATT_PRIOR_ROWS)
        else:
            from sklearn.linear_model import LogisticRegression

            z = _logit(np.asarray(raw))[:, None]
            fitted = LogisticRegression(C=100.0).fit(z, np.asarray(right, dtype=int))
            self.platt_ = (float(fitted.coef_[0, 0]), float(fitted.intercept_[0]))
        scores = self._platt(np.asarray(raw))
        ok = np.asarray(right)
        rows = []
        for t in RELIABILITY_THRESHOLDS:
            kept = scores >= t
            rows.append(ReliabilityRow(t, float(ok[kept].mean()) if kept.any() else None, float(kept.mean()),
                                       int(kept.sum())))
        self.reliability_ = tuple(rows)

    def _gold_theme(self, y: NDArray[np.int64]) -> NDArray[np.int64]:
        """The theme column of each example's class; -1 for ``none`` (a passage no code fits is right only
        when left unassigned)."""
        coded = y < len(self.entry_ids_)
        return np.where(coded, self._entry_theme[np.where(coded, y, 0)], -1)

    def _coded_as(self, p_entry: Float64Array, gold_theme: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Whether each row's coding (its best theme at or above the threshold, else unassigned: -1) is
        ``gold_theme``."""
        theme = self._pool(p_entry)
        best = theme.argmax(axis=1)
        coded = np.where(theme[np.arange(len(best)), best] >= self.threshold, best, -1)
        return np.asarray(coded == gold_theme)

    def _contradicted(self, x: Float64Array, y: NDArray[np.int64], offset: Float64Array | None,
                      x_rej: Float64Array, y_rej: NDArray[np.int64], off_rej: Float64Array | None) -> int:
        """Decisions the fitted model codes otherwise: a passage's standing code (or ``none``) not given, or a
        rejected code given."""
        assert self.model_ is not None
        gold = self._gold_theme(y)
        wrong = int((~self._coded_as(self._entry_probabilities(self.model_, x, offset), gold)).sum()) if len(y) else 0
        if len(y_rej):
            p = self._entry_probabilities(self.model_, x_rej, off_rej)
            top = p.argmax(axis=1)
            wrong += int(((top == y_rej) & (self._pool(p).max(axis=1) >= self.threshold)).sum())
        return wrong

    def _platt(self, raw: Float64Array) -> Float64Array:
        if self.platt_ is None:
            return raw
        slope, intercept = self.platt_
        return 1.0 / (1.0 + np.exp(-(slope * _logit(raw) + intercept)))

    # ------------------------------------------------------------------ scoring

    @property
    def encoders(self) -> tuple[Embedder, ...]:
        """The embedders whose context-blended vectors, side by side, are the rows :meth:`assign` takes."""
        self._fitted()
        return self.encoders_

    @property
    def calibrated(self) -> bool:
        """Whether scores were calibrated on coded examples (out of fold)."""
        self._fitted()
        return self.platt_ is not None

    def _fitted(self) -> None:
        check_fitted(self, "entry_ids_")

    def probabilities(self, features: Vectors) -> Float64Array:
        """Probability of every codebook entry per row, shape ``(n, len(entries))`` (before calibration)."""
        self._fitted()
        if self.zero_shot_ is not None:
            return self.zero_shot_.probabilities(features)
        assert self.model_ is not None
        return self._entry_probabilities(self.model_, self._classifier_rows(features), self._offset(features))

    def entry_scores(self, features: Vectors, *, blocked: Sequence[frozenset[str]] | None = None) -> Float64Array:
        """Probability of every codebook entry per row (:meth:`probabilities`); ``blocked[i]`` entries get 0 and
        the rest of row ``i`` is conditioned on not being one of them."""
        return block_entries(self.probabilities(features), blocked, self.entry_ids_, condition=True)

    @property
    def multi_label_threshold(self) -> float:
        """An entry joins a passage's code set from this probability: chosen out of fold for the best
        micro-F1 when the examples give passages several codes, else the assignment threshold."""
        self._fitted()
        return self.multi_threshold_ if self.multi_threshold_ is not None else self.threshold

    def _pool(self, p_entry: Float64Array) -> Float64Array:
        out = np.zeros((p_entry.shape[0], len(self.theme_ids_)))
        np.add.at(out.T, self._entry_theme, p_entry.T)
        return out

    def assign(self, features: Vectors, *, blocked: Sequence[frozenset[str]] | None = None) -> list[Assignment]:
        """One assignment per row; ``blocked[i]`` names entries row ``i`` must not get (a coder rejected them)."""
        self._fitted()
        if self.zero_shot_ is not None:
            return self.zero_shot_.assign(features, blocked=blocked)
        return self._decide(self.entry_scores(features, blocked=blocked), self.threshold)

    def assign_clusters(self, labels: NDArray[np.int64], features: Vectors) -> dict[int, Assignment]:
        """One assignment per cluster: the mean of its members' entry probabilities."""
        self._fitted()
        if self.zero_shot_ is not None:
            return self.zero_shot_.assign_clusters(labels, features)
        labels = np.asarray(labels)
        clusters = sorted(int(c) for c in np.unique(labels) if c != -1)
        if not clusters:
            return {}
        p = self.probabilities(features)
        means = np.stack([p[labels == c].mean(axis=0) for c in clusters])
        return dict(zip(clusters, self._decide(means, self.cluster_threshold, calibrate=False), strict=True))

    def _decide(self, p_entry: Float64Array, threshold: float, *, calibrate: bool = True) -> list[Assignment]:
        theme = self._pool(p_entry)
        n = theme.shape[0]
        order = np.argsort(-theme, axis=1, kind="stable")
        best = order[:, 0]
        raw = theme[np.arange(n), best]
        score = self._platt(raw) if calibrate else raw
        ratio = np.where(raw > 0, score / np.maximum(raw, 1e-12), 0.0)
        out: list[Assignment] = []
        for i in range(n):
            t = int(best[i])
            theme_id = self.theme_ids_[t]
            sub_id = self._subtheme(p_entry[i], t)
            s = round(float(np.clip(score[i], 0.0, 1.0)), 6)
            also: tuple[tuple[str, float], ...] = ()
            if self.multi_label and theme.shape[1] > 1:
                t2 = int(order[i, 1])
                p2 = float(np.clip(theme[i, t2] * ratio[i], 0.0, 1.0))
                if p2 >= threshold:
                    also = ((self.theme_ids_[t2], round(p2, 6)),)
            if s >= threshold and raw[i] > 0:
                out.append(Assignment(theme_id, sub_id, s, theme_id, sub_id, also=also))
            else:
                out.append(Assignment(UNASSIGNED, None, s, theme_id, sub_id))
        return out

    def _subtheme(self, p: Float64Array, theme: int) -> str | None:
        own = self.theme_ids_[theme]
        subs = [j for j, t in enumerate(self._entry_theme) if t == theme and self.entry_ids_[j] != own]
        if not subs:
            return None
        return self.entry_ids_[max(subs, key=lambda j: p[j])]

    def describe(self) -> dict[str, Any]:
        """What the run manifest records about how themes were assigned."""
        self._fitted()
        if self.zero_shot_ is not None:
            return {"method": "learned", "examples": 0, "calibrated": False,
                    "scores": "zero-shot: not calibrated on coded data (codebook similarity only)"}
        return {
            "method": "learned",
            "examples": self.n_examples_,
            "rejections": self.n_rejections_,
            "no_code_fits": self.n_no_code_,
            "encoders": list(self.encoder_ids_),
            "tuned_model": str(self.tuned_) if self.tuned_ else None,
            "prior": "the codebook's zero-shot scores, corrected by the decisions"
            if self.prior_ is not None else "the codebook's texts as training rows",
            "prior_weight": round(self.model_.prior_scale, 4) if self.model_ is not None and self.prior_ else None,
            "calibrated": self.platt_ is not None,
            "scores": "probability the theme is right, calibrated out of fold on the coded examples"
            if self.platt_ is not None else f"classifier probability, not calibrated: {self.calibration_note_}",
            "reliability": [
                {"threshold": r.threshold, "precision": r.precision, "coverage": r.coverage, "n": r.n}
                for r in self.reliability_
            ],
            "check": None if self.check_ is None else {**asdict(self.check_), "verdict": self.check_.verdict},
        }


def _best_set_threshold(oof: Float64Array, y: NDArray[np.int64], texts: Sequence[str]) -> float | None:
    """The entry probability from which codes join a passage's set that gave the best micro-F1 out of
    fold, when some passage has several accepted codes (``None`` otherwise, or with too few)."""
    gold: dict[str, set[int]] = {}
    row_of: dict[str, int] = {}
    for i, (t, code) in enumerate(zip(texts, y, strict=True)):
        if np.isnan(oof[i]).any():
            continue
        gold.setdefault(t, set()).add(int(code))
        row_of.setdefault(t, i)
    if len(gold) < _MIN_CALIBRATION_ROWS or all(len(g) == 1 for g in gold.values()):
        return None
    best: tuple[float, float] | None = None
    for t in np.round(np.arange(0.05, 0.55, 0.025), 3):
        tp = predicted = 0
        for text, codes in gold.items():
            p = oof[row_of[text]]
            chosen = {int(j) for j in np.flatnonzero(p >= t)} | {int(p.argmax())}
            tp += len(chosen & codes)
            predicted += len(chosen)
        f1 = 2 * tp / (predicted + sum(len(g) for g in gold.values()))
        if best is None or f1 > best[1] + 1e-12:
            best = (float(t), f1)
    return None if best is None else best[0]


def _shrunk_platt(z: Float64Array, right: Float64Array, strength: float) -> tuple[float, float]:
    """Slope and intercept of ``sigmoid(a z + b)`` fitted to ``right``, pulled towards the identity map
    (``a = 1, b = 0``) as if by ``strength`` rows that agree with it: a few decisions, often the
    passages the run was surest of, move the scores a little, many move them as far as they show."""
    from scipy.optimize import minimize

    def objective(theta: Float64Array) -> tuple[float, Float64Array]:
        a, b = theta
        q = 1.0 / (1.0 + np.exp(-(a * z + b)))
        q = np.clip(q, 1e-12, 1 - 1e-12)
        value = -np.sum(right * np.log(q) + (1 - right) * np.log1p(-q)) + 0.5 * strength * ((a - 1) ** 2 + b * b)
        residual = q - right
        grad = np.array([np.sum(residual * z) + strength * (a - 1), np.sum(residual) + strength * b])
        return float(value), grad

    solved = minimize(objective, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
    return float(solved.x[0]), float(solved.x[1])


def _logit(p: Float64Array) -> Float64Array:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(q / (1 - q))


def _multi_label_weights(texts: Sequence[str]) -> Float64Array:
    """1 per example row, ``1/k`` for a passage with ``k`` accepted codes (so it counts once)."""
    counts: dict[str, int] = {}
    for t in texts:
        counts[t] = counts.get(t, 0) + 1
    return np.array([1.0 / counts[t] for t in texts])


def _folds(
    y: NDArray[np.int64], groups: NDArray[np.str_], texts: NDArray[np.str_], seed: int
) -> list[tuple[NDArray[np.intp], NDArray[np.intp]]]:
    """Out-of-fold splits that never put one passage on both sides: whole groups (documents or
    sessions) held out when there are at least 3, else whole passages, stratified by code."""
    import warnings

    from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

    distinct = np.unique(groups)
    if len(distinct) >= 3:
        return list(GroupKFold(n_splits=min(5, len(distinct))).split(y, y, groups))
    passages = len(np.unique(texts))
    if passages < 10:
        return []
    with warnings.catch_warnings():  # codes rarer than the folds are expected in small example sets
        warnings.simplefilter("ignore", UserWarning)
        splitter = StratifiedGroupKFold(n_splits=min(5, passages), shuffle=True, random_state=seed)
        return list(splitter.split(y, y, texts))


def build_learned(config: AlignConfig, seed: int = 42, *, embed: EmbedConfig, cache_dir: Path,
                  progress: bool = False) -> LearnedAligner:
    """Factory registered as ``"learned"``; tuned and extra models share the run's cache (``cache_dir``)."""
    return LearnedAligner(
        config.threshold, config.cluster_threshold,
        context_weight=config.context_weight, regularization=config.regularization,
        tune=TuneSettings(epochs=config.tune_epochs, seed=seed, device=resolve_device(embed.device))
        if config.tune_epochs else None,
        extra_models=config.extra_models, embed=embed, cache_dir=cache_dir, multi_label=config.multi_label,
        seed=seed, temperature=config.temperature, prior=config.prior, tune_from=config.tune_from,
        progress=progress,
    )
