"""``narratives evaluate``: code human-coded passages and measure agreement honestly.

Each gold passage is coded exactly as ``narratives run`` codes a segment. Three modes:

- **zero-shot** (no ``examples``): the aligner learns from the codebook alone;
- **examples from another file**: fitted once on all of them, evaluated on the gold set;
- **cross-validation** (``examples`` is the gold file itself): the gold set is split into
  ``folds`` (whole groups held out with ``group_column``), the aligner is fitted on the
  other folds' passages and predicts the held-out one; metrics pool the out-of-fold
  predictions, so no passage is ever scored by an aligner that saw it.

Metrics come at code level and, for a codebook with subthemes, at parent-theme level, with
percentile-bootstrap 95% intervals over passages (seeded from ``config.seed``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from narratives.config import RunConfig
from narratives.errors import ConfigError
from narratives.evaluation.folds import assign_folds
from narratives.evaluation.gold import CodedPassages, read_coded
from narratives.evaluation.metrics import DEFAULT_RESAMPLES, level_scores, resample_indices
from narratives.evaluation.records import Evaluation, EvaluationSettings
from narratives.evaluation.reliability import reliability
from narratives.models import UNASSIGNED, Assignment, Codebook
from narratives.types import Embedder


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or a.samefile(b)
    except OSError:
        return False


def _predict(
    gold: CodedPassages,
    codebook: Codebook,
    embedder: Embedder,
    config: RunConfig,
    examples: CodedPassages | None,
    folds: np.ndarray | None,
    progress: bool,
) -> list[Assignment]:
    """One assignment per gold passage, out-of-fold when ``folds`` is given."""
    from narratives.align import build_aligner

    distinct = list(dict.fromkeys(gold.texts))
    vectors = embedder.embed(distinct, progress=progress)
    row_of = {text: i for i, text in enumerate(distinct)}
    embeddings = vectors[[row_of[t] for t in gold.texts]]
    if folds is None:
        train = examples.examples(codebook) if examples is not None else []
        return build_aligner(config.align, config.seed).fit(codebook, embedder, examples=train).assign(embeddings)
    out: list[Assignment | None] = [None] * len(gold.texts)
    for fold in range(int(folds.max()) + 1):
        test = np.flatnonzero(folds == fold)
        train = gold.examples(codebook, [int(i) for i in np.flatnonzero(folds != fold)])
        aligner = build_aligner(config.align, config.seed).fit(codebook, embedder, examples=train)
        for i, assignment in zip(test.tolist(), aligner.assign(embeddings[test]), strict=True):
            out[i] = assignment
    return [a for a in out if a is not None]


def evaluate(
    gold: str | Path,
    codebook: str | Path | Codebook,
    *,
    examples: str | Path | None = None,
    folds: int | None = None,
    group_column: str | None = None,
    text_column: str | None = None,
    code_column: str | None = None,
    config: RunConfig | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    predictions_out: str | Path | None = None,
    out: str | Path | None = None,
    force: bool = False,
    progress: bool = False,
    embedder: Embedder | None = None,
) -> Evaluation:
    """Code every gold passage and compare with the human codes.

    Args:
        gold: CSV of human-coded passages (text and code columns).
        codebook: codebook file or a loaded :class:`~narratives.models.Codebook`.
        examples: coded examples to fit the aligner on; the gold file itself means
            cross-validation over ``folds`` (default 5).
        folds: number of cross-validation folds (only when ``examples`` is the gold file).
        group_column: column naming each passage's document or session; folds hold whole
            groups out.
        text_column, code_column: column names, when not found automatically.
        config: run configuration (aligner, model, ``seed`` for folds and bootstrap).
        resamples: bootstrap resamples for the 95% intervals (0 for none).
        predictions_out: also write the per-passage predictions CSV here.
        out: write the full report (predictions, per-code, confusion, reliability, summary)
            into this directory, atomically.
        force: replace a non-empty ``out``.
        progress: show the embedding progress bar.
        embedder: an embedder to use instead of building one from ``config.embed``.

    Raises:
        InputError: a file or column is missing.
        ConfigError: codes match nothing, or the fold settings do not fit the data.
        OutputExistsError: ``out`` holds results and ``force`` is false.
    """
    from narratives.align import load_codebook
    from narratives.embed import build_embedder
    from narratives.evaluation.output import write_report
    from narratives.reports.atomic import check_output_dir

    config = config or RunConfig()
    if resamples < 0:
        raise ConfigError(f"--bootstrap must be 0 or more, not {resamples}")
    out_dir = check_output_dir(out, force) if out is not None else None
    book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    gold_path = Path(gold)
    cv = examples is not None and _same_file(Path(examples), gold_path)
    if folds is not None and not cv:
        raise ConfigError(
            "--folds cross-validates over the gold set, so it needs --examples to be the gold file itself "
            f"(--examples {gold_path})"
        )
    passages = read_coded(gold_path, book, text_column=text_column, code_column=code_column,
                          group_column=group_column if cv else None)
    other = None
    if examples is not None and not cv:
        other = read_coded(examples, book, text_column=text_column, code_column=code_column)
    fold_of = None
    notes = [f"gold code '{c}' is not in the codebook; its passages always count as wrong" for c in passages.unmatched]
    if group_column is not None and not cv:
        notes.append(f"--group-column '{group_column}' is used only for cross-validation (--examples GOLD); ignored")
    if cv:
        folds = folds or 5
        fold_of = assign_folds(passages.codes, passages.groups if group_column else None, folds, config.seed)
        notes.append(f"{folds}-fold cross-validation" + (f" by '{group_column}'" if group_column else "")
                     + ": every passage was coded by an aligner fitted without it")

    embedder = embedder or build_embedder(config.embed)
    assignments = _predict(passages, book, embedder, config, other, fold_of, progress)
    known = {e.id for e in book.entries}
    gold_codes = list(passages.codes)
    predicted = [a.subtheme or a.theme for a in assignments]
    top = [a.subtheme or a.theme if a.theme != UNASSIGNED else (a.best_subtheme or a.best_theme or "")
           for a in assignments]
    indices = resample_indices(len(gold_codes), resamples, config.seed) if resamples else None
    levels = [level_scores("code", gold_codes, predicted, indices=indices, columns=sorted(known))]
    if any(e.parent for e in book.entries):
        def parent(code: str) -> str:
            return book.top_level(code) if code in known else code

        levels.append(level_scores(
            "theme", [parent(g) for g in gold_codes], [a.theme for a in assignments],
            indices=indices, columns=[t.id for t in book.themes],
        ))
    calibration = reliability(
        [a.score for a in assignments],
        [t == g for t, g in zip(top, gold_codes, strict=True)],
        [a.theme != UNASSIGNED for a in assignments],
    )
    predictions = pd.DataFrame({
        "text": list(passages.texts),
        "gold": gold_codes,
        "predicted": ["" if p == UNASSIGNED else p for p in predicted],
        "score": [round(a.score, 4) for a in assignments],
        "predicted_theme": ["" if a.theme == UNASSIGNED else a.theme for a in assignments],
        "nearest": [a.best_subtheme or a.best_theme or "" for a in assignments],
        "fold": pd.array(fold_of if fold_of is not None else [None] * len(assignments), dtype="Int64"),
    })
    settings = EvaluationSettings(
        gold=str(gold_path), codebook=book.source or book.name, codebook_sha256=book.sha256,
        model=embedder.identity, align=config.align.model_dump(mode="json"), seed=config.seed,
        resamples=resamples, examples=None if examples is None else str(examples),
        folds=folds if cv else None, group_column=group_column if cv else None,
        n_examples=len(passages.examples(book)) if cv else len(other.examples(book)) if other else 0,
    )
    result = Evaluation(
        levels=tuple(levels), predictions=predictions, reliability=calibration, settings=settings,
        unmatched_codes=passages.unmatched, notes=tuple(notes),
    )
    if predictions_out is not None:
        target = Path(predictions_out)
        target.parent.mkdir(parents=True, exist_ok=True)
        predictions.to_csv(target, index=False)
    if out_dir is not None:
        write_report(result, out_dir)
    return result
