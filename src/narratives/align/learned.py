"""Learned aligner: the coders' examples are the main evidence, the codebook the prior.

Without usable examples (none accepted, or all for one entry) it codes exactly as the
zero-shot :class:`~narratives.align.calibrated.CalibratedAligner`, and says its scores are
not calibrated. With examples:

1. **Encoders.** The run's embedding model, fine-tuned on the examples when there are at
   least ``MIN_TUNE_EXAMPLES`` of them (:mod:`narratives.align.tuning`, ``align.tune_epochs``;
   cached), and beside it each model in ``align.extra_models`` (by default the multilingual
   ``multilingual-e5-small``, frozen). A passage's features are, for each encoder, its
   vector blended with its question and surrounding text (:mod:`narratives.align.windows`),
   the encoders' vectors side by side.
2. **Classifier.** A multinomial logistic regression on the standardised features
   (:mod:`narratives.align.softmax`), one class per codebook entry. Its training rows are
   the accepted examples and the codebook's own prototypes (definition, keywords, example
   quotes), so an entry no coder has used keeps a class; classes are balanced. Every rejected
   (passage, code) adds a term that pushes that passage's probability of that code down.
3. **Calibration.** The top theme's probability is mapped to "probability the theme is
   right" by a logistic fit (Platt scaling) on out-of-fold predictions over the examples:
   folds hold whole groups (documents or sessions) out when there are at least three. The
   map is smooth and increasing, so scores spread over the range instead of collapsing to
   a few steps, and the same out-of-fold predictions give the precision and coverage at
   each threshold (:attr:`LearnedAligner.reliability_`) that a user reads to pick one.

The classifier and calibration are kept in the run's cache by their inputs
(:mod:`narratives.align.fit_cache`), as the tuned model is: a re-run with the same examples,
codebook and encoders restores them instead of fitting again.

Measured on the usability think-aloud set, leave one session out (``benchmarks/README.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
from narratives.config import AlignConfig, EmbedConfig, default_cache_dir
from narratives.embed.device import resolve_device
from narratives.errors import check_fitted
from narratives.models import UNASSIGNED, Assignment, Codebook, Example
from narratives.types import Embedder, Vectors

__all__ = ["MIN_TUNE_EXAMPLES", "LearnedAligner", "ReliabilityRow"]

Float64Array = NDArray[np.float64]

MIN_TUNE_EXAMPLES = 40
"""Fewer accepted examples than this are too few to fine-tune on; the model stays frozen."""
RELIABILITY_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
_MIN_CALIBRATION_ROWS = 30


@dataclass(frozen=True, slots=True)
class ReliabilityRow:
    """Out-of-fold on the coders' examples: among passages scored at least ``threshold``, the
    share whose theme was right (``precision``) and the share of all passages that many are
    (``coverage``)."""

    threshold: float
    precision: float | None
    coverage: float
    n: int


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
        self.progress = progress

    def __getstate__(self) -> dict[str, Any]:
        """Without the embedders (sent to workers, an aligner only codes given features)."""
        state = self.__dict__.copy()
        if "encoders_" in state:
            state["encoders_"] = ()
        return state

    # ------------------------------------------------------------------ fitting

    def fit(self, codebook: Codebook, embedder: Embedder, examples: Sequence[Example] = ()) -> LearnedAligner:
        """Learn from ``examples`` (accepted and rejected), with the codebook as the prior."""
        known = {e.id for e in codebook.entries}
        usable = [x for x in examples if x.code in known]
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
        self.calibration_note_ = ""
        self.n_examples_ = len(accepted)
        self.n_rejections_ = len(usable) - len(accepted)
        if len({x.code for x in accepted}) < 2:
            self.zero_shot_: CalibratedAligner | None = CalibratedAligner(
                self.threshold, self.cluster_threshold, temperature=self.temperature,
                multi_label=self.multi_label, seed=self.seed,
            ).fit(codebook, embedder)
            self.encoders_: tuple[Embedder, ...] = (embedder,)
            return self
        self.zero_shot_ = None
        from narratives.embed import build_embedder

        base = self._tuned(embedder, codebook, usable)
        extras = [build_embedder(self.embed.model_copy(update={"model": m, "runtime": "torch"}), self.cache_dir)
                  for m in self.extra_models]
        self.encoders_ = (base, *extras)
        self.encoder_ids_ = tuple(e.identity for e in self.encoders_)  # kept when a copy leaves the encoders out
        fits = FitCache(self.cache_dir)
        key = fit_key(self.encoder_ids_, codebook, usable, {
            "regularization": self.regularization, "context_weight": self.context_weight, "seed": self.seed,
        })
        found = fits.get(key)
        if found is not None:
            self.model_, self.platt_, self.multi_threshold_ = found.model, found.platt, found.multi_threshold
            self.reliability_ = tuple(ReliabilityRow(*row) for row in found.reliability)
            self.calibration_note_ = found.calibration_note
            return self
        index = {e: i for i, e in enumerate(self.entry_ids_)}
        prototypes = [p for entry in codebook.entries for p in prototype_texts(entry)]
        proto_x = example_features(self.encoders_, [Example(p.text, p.entry) for p in prototypes], 0.0)
        proto_y = np.array([index[p.entry] for p in prototypes], dtype=np.int64)
        rejected = [x for x in usable if not x.accepted]
        x_acc = example_features(self.encoders_, accepted, self.context_weight)
        y_acc = np.array([index[x.code] for x in accepted], dtype=np.int64)
        x_rej = example_features(self.encoders_, rejected, self.context_weight) if rejected else None
        y_rej = np.array([index[x.code] for x in rejected], dtype=np.int64)
        self._train_data = (proto_x, proto_y, x_rej, y_rej, np.array([x.text for x in rejected]))
        self.model_ = self._train(x_acc, y_acc, [x.text for x in accepted])
        self._calibrate(x_acc, y_acc, np.array([x.group for x in accepted]), [x.text for x in accepted])
        rows: tuple[ReliabilityRow, ...] = self.reliability_
        fits.put(key, FittedState(self.model_, self.platt_, self.multi_threshold_,
                                  tuple((r.threshold, r.precision, r.coverage, r.n) for r in rows),
                                  self.calibration_note_))
        return self

    def _tuned(self, embedder: Embedder, codebook: Codebook, examples: Sequence[Example]) -> Embedder:
        """The run's model (``embed.model``) fine-tuned on ``examples`` (cached), or ``embedder`` itself
        when there is nothing to tune (tuning off, too few examples, or a model that cannot be trained)."""
        accepted = sum(x.accepted for x in examples)
        if self.tune is None or self.tune.epochs == 0 or accepted < MIN_TUNE_EXAMPLES:
            return embedder
        from narratives.align.tuning import tune_encoder
        from narratives.embed import CachedEmbedder, EmbeddingCache, SentenceTransformerEmbedder, resolve_model

        resolved = resolve_model(self.embed.model, allow_network=self.embed.allow_network)
        if resolved.engine != "sentence-transformers":
            return embedder
        self.tuned_ = tune_encoder(resolved, codebook, examples, self.tune, self.cache_dir, progress=self.progress)
        tuned = resolve_model(str(self.tuned_))
        # One text per forward pass: still a fixed shape per text (so a vector never depends on its
        # neighbours), and windows and passages, nearly all of different token lengths, are not
        # padded into batches of 16 copies as the base model's fixed-shape batches would.
        device = resolve_device(self.embed.device)
        return CachedEmbedder(SentenceTransformerEmbedder(tuned, batch_size=1, device=device),
                              EmbeddingCache(self.cache_dir))

    def _train(
        self, x: Vectors, y: NDArray[np.int64], texts: Sequence[str], held_out: frozenset[str] = frozenset()
    ) -> SoftmaxModel:
        """The classifier on examples ``x, y`` plus the codebook's prototypes and the rejections (but
        those of ``held_out`` passages, which an out-of-fold model must not see)."""
        proto_x, proto_y, x_rej, y_rej, rej_texts = self._train_data
        if x_rej is not None and held_out:
            keep = np.array([t not in held_out for t in rej_texts], dtype=bool)
            x_rej, y_rej = x_rej[keep], y_rej[keep]
        features = np.concatenate([x, proto_x])
        labels = np.concatenate([y, proto_y])
        weights = _multi_label_weights(texts, len(proto_y))
        counts = np.bincount(labels, weights=weights, minlength=len(self.entry_ids_))
        present = int((counts > 0).sum())
        weights = weights * weights.sum() / (present * counts[labels])
        return fit_softmax(
            features, labels, len(self.entry_ids_), weights=weights,
            rejected_x=x_rej, rejected_class=y_rej, c=self.regularization,
        )

    def _calibrate(self, x: Vectors, y: NDArray[np.int64], groups: NDArray[np.str_], texts: Sequence[str]) -> None:
        """Platt map and reliability table from out-of-fold predictions over the examples."""
        splits = _folds(y, groups, np.array(texts), self.seed)
        raw: list[float] = []
        right: list[bool] = []
        oof = np.full((len(y), len(self.entry_ids_)), np.nan)
        for train, test in splits:
            if len(np.unique(y[train])) < 2:
                continue
            model = self._train(x[train], y[train], [texts[i] for i in train], frozenset(texts[i] for i in test))
            oof[test] = model.probabilities(x[test])
            theme = self._pool(oof[test])
            best = theme.argmax(axis=1)
            raw.extend(theme[np.arange(len(test)), best].tolist())
            right.extend((best == self._entry_theme[y[test]]).tolist())
        self.multi_threshold_ = _best_set_threshold(oof, y, texts)
        if len(raw) < _MIN_CALIBRATION_ROWS:
            self.calibration_note_ = (
                f"only {len(raw)} examples could be predicted out of fold (needs {_MIN_CALIBRATION_ROWS})"
            )
            return
        if len(set(right)) < 2:
            self.calibration_note_ = f"all {len(raw)} out-of-fold predictions were {'right' if right[0] else 'wrong'}"
            return
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
        return self.model_.probabilities(features)

    def entry_scores(self, features: Vectors) -> Float64Array:
        """Probability of every codebook entry per row (:meth:`probabilities`)."""
        return self.probabilities(features)

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
        return self._decide(block_entries(self.probabilities(features), blocked, self.entry_ids_), self.threshold)

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
            "encoders": list(self.encoder_ids_),
            "tuned_model": str(self.tuned_) if self.tuned_ else None,
            "calibrated": self.platt_ is not None,
            "scores": "probability the theme is right, calibrated out of fold on the coded examples"
            if self.platt_ is not None else f"classifier probability, not calibrated: {self.calibration_note_}",
            "reliability": [
                {"threshold": r.threshold, "precision": r.precision, "coverage": r.coverage, "n": r.n}
                for r in self.reliability_
            ],
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


def _logit(p: Float64Array) -> Float64Array:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(q / (1 - q))


def _multi_label_weights(texts: Sequence[str], n_prototypes: int) -> Float64Array:
    """1 per example row, ``1/k`` for a passage with ``k`` accepted codes (so it counts once), 1 per prototype."""
    counts: dict[str, int] = {}
    for t in texts:
        counts[t] = counts.get(t, 0) + 1
    return np.array([1.0 / counts[t] for t in texts] + [1.0] * n_prototypes)


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
        seed=seed, temperature=config.temperature, progress=progress,
    )
