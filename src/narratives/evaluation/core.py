"""``narratives evaluate``: code human-coded passages and measure agreement honestly.

Each gold unit is coded as ``narratives run`` codes a segment, on its own words (a gold file
has no surrounding text or interviewer question). Three modes:

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

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from narratives.codebook.records import NONE_CODE
from narratives.config import RunConfig
from narratives.errors import ConfigError
from narratives.evaluation.folds import assign_folds
from narratives.evaluation.gold import CodedPassages, read_coded
from narratives.evaluation.metrics import DEFAULT_RESAMPLES, level_scores, resample_indices
from narratives.evaluation.records import Evaluation, EvaluationSettings
from narratives.evaluation.reliability import reliability, threshold_table
from narratives.evaluation.sets import set_scores
from narratives.models import UNASSIGNED, Assignment, Codebook, Example
from narratives.types import Aligner, Embedder, Vectors


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
    examples: Sequence[Example] | None,
    folds: np.ndarray | None,
    progress: bool,
) -> tuple[list[Assignment], list[tuple[str, ...]], dict[str, Any]]:
    """One assignment and one predicted code set per gold unit, out-of-fold when ``folds`` is given;
    and the (last) aligner's description."""
    from narratives.align import build_aligner
    from narratives.align.decisions import question_scope
    from narratives.align.windows import example_features

    def fitted(train: Sequence[Example]) -> Aligner:
        return build_aligner(config.align, config.seed, embed=config.embed, cache_dir=config.resolved_cache_dir(),
                             progress=progress).fit(
            codebook, embedder, examples=train
        )

    units = gold.units()

    def code(aligner: Aligner, rows: list[int], train: Sequence[Example]) -> None:
        features = example_features(aligner.encoders, [units[i] for i in rows], config.align.context_weight)
        blocked = question_scope(train, codebook, [gold.questions[i] for i in rows])
        assigned = aligner.assign(features, blocked=blocked)
        for i, assignment, chosen in zip(rows, assigned, _code_sets(aligner, codebook, features, blocked), strict=True):
            first = () if assignment.theme == UNASSIGNED else (assignment.subtheme or assignment.theme,)
            out[i], sets[i] = assignment, tuple(dict.fromkeys((*first, *chosen)))

    n = len(gold.texts)
    out: list[Assignment | None] = [None] * n
    sets: list[tuple[str, ...]] = [()] * n
    if folds is None:
        train = list(examples or [])
        aligner = fitted(train)
        code(aligner, list(range(n)), train)
    else:
        for fold in range(int(folds.max()) + 1):
            train = gold.examples(codebook, [int(i) for i in np.flatnonzero(folds != fold)])
            aligner = fitted(train)
            code(aligner, [int(i) for i in np.flatnonzero(folds == fold)], train)
    return [a for a in out if a is not None], sets, aligner.describe()


def _code_sets(
    aligner: Aligner, codebook: Codebook, features: Vectors, blocked: Sequence[frozenset[str]]
) -> list[tuple[str, ...]]:
    """Each row's further codes: every entry scored at least the aligner's multi-label threshold,
    best first (the unit's assigned code is put in front of them by the caller)."""
    ids = [e.id for e in codebook.entries]
    scores = np.asarray(aligner.entry_scores(features, blocked=blocked), dtype=np.float64)
    threshold = aligner.multi_label_threshold
    out = []
    for row in scores:
        order = np.argsort(-row, kind="stable")
        out.append(tuple(ids[j] for j in order if row[j] >= threshold))
    return out


def evaluate(
    gold: str | Path,
    codebook: str | Path | Codebook,
    *,
    examples: str | Path | None = None,
    folds: int | None = None,
    group_column: str | None = None,
    text_column: str | None = None,
    code_column: str | None = None,
    id_column: str | None = None,
    question_column: str | None = None,
    documents: Sequence[str | Path] = (),
    config: RunConfig | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    predictions_out: str | Path | None = None,
    out: str | Path | None = None,
    force: bool = False,
    progress: bool = False,
    embedder: Embedder | None = None,
) -> Evaluation:
    """Code every gold unit and compare with the human codes.

    Args:
        gold: CSV of human-coded passages (text and code columns), or a filled-in decision sheet.
        codebook: codebook file or a loaded :class:`~narratives.models.Codebook`.
        examples: coded examples to fit the aligner on (read like ``run --examples``: rejected
            rows count against their code); the gold file itself means cross-validation over
            ``folds`` (default 5).
        folds: number of cross-validation folds (only when ``examples`` is the gold file).
        group_column: column naming each passage's document or session; folds hold whole
            groups out.
        text_column, code_column: column names, when not found automatically.
        id_column: rows sharing a value here are one unit with several codes (multi-label):
            scored as sets (micro- and macro-F1), predictions with ``;``-separated codes.
        question_column: what each unit answers; the codes a question's examples never used
            (by top-level theme) are not predicted for it.
        documents: the transcripts (files or folders) the gold passages come from: each unit is
            then coded with its question and surrounding text, exactly as ``run`` codes a segment
            (found by its text, in the file its group column names first).
        config: run configuration (aligner, model, ``seed`` for folds and bootstrap).
        resamples: bootstrap resamples for the 95% intervals (0 for none).
        predictions_out: also write the per-unit predictions CSV here.
        out: write the full report (predictions, per-code, confusion, reliability, thresholds,
            summary) into this directory, atomically.
        force: replace a non-empty ``out``.
        progress: show the embedding progress bar.
        embedder: an embedder to use instead of building one from ``config.embed``.

    Raises:
        InputError: a file or column is missing.
        ConfigError: codes match nothing, or the fold settings do not fit the data.
        OutputExistsError: ``out`` holds results and ``force`` is false.
    """
    from narratives.codebook import load_codebook
    from narratives.codebook.coded import load_examples
    from narratives.embed import build_embedder
    from narratives.evaluation.output import write_evaluation
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
                          group_column=group_column if cv else None, id_column=id_column,
                          question_column=question_column)
    other = load_examples(examples, book) if examples is not None and not cv else None
    fold_of = None
    notes = [f"gold code '{c}' is not in the codebook; its units always count as wrong" for c in passages.unmatched]
    if documents:
        from narratives.loaders import load_corpus

        corpus = load_corpus(list(documents))
        passages, found = passages.in_context(corpus.documents)
        notes.append(f"{found} of {len(passages.texts)} units found in the documents and coded in their context"
                     + ("" if found == len(passages.texts) else "; the others on their own words"))
    notes.extend(book.notes)
    if group_column is not None and not cv:
        notes.append(f"--group-column '{group_column}' is used only for cross-validation (--examples GOLD); ignored")
    if cv:
        folds = folds or 5
        fold_of = assign_folds(passages.first_codes(), passages.groups if group_column else None, folds, config.seed)
        notes.append(f"{folds}-fold cross-validation" + (f" by '{group_column}'" if group_column else "")
                     + ": every unit was coded by an aligner fitted without it")
    multi = id_column is not None
    embedder = embedder or build_embedder(config.embed, config.resolved_cache_dir())
    assignments, sets, described = _predict(passages, book, embedder, config, other, fold_of, progress)
    known = {e.id for e in book.entries}
    gold_codes = passages.first_codes()
    predicted = [a.subtheme or a.theme for a in assignments]
    top = [a.subtheme or a.theme if a.theme != UNASSIGNED else (a.best_subtheme or a.best_theme or "")
           for a in assignments]
    indices = resample_indices(len(gold_codes), resamples, config.seed) if resamples else None
    hierarchical = any(e.parent for e in book.entries)

    def parent(code: str) -> str:
        return book.top_level(code) if code in known else code

    levels = []
    set_levels = []
    if multi:
        set_levels.append(set_scores("code", passages.codes, sets, indices=indices))
        if hierarchical:
            set_levels.append(set_scores(
                "theme", [tuple(dict.fromkeys(parent(c) for c in g)) for g in passages.codes],
                [tuple(dict.fromkeys(parent(c) for c in p)) for p in sets], indices=indices,
            ))
        correct = [bool(t) and t in g for t, g in zip(top, passages.codes, strict=True)]
    else:
        levels.append(level_scores("code", gold_codes, predicted, indices=indices, columns=sorted(known)))
        if hierarchical:
            levels.append(level_scores(
                "theme", [parent(g) for g in gold_codes], [a.theme for a in assignments],
                indices=indices, columns=[t.id for t in book.themes],
            ))
        correct = [t == g for t, g in zip(top, gold_codes, strict=True)]
    calibration = reliability(
        [a.score for a in assignments], correct, [a.theme != UNASSIGNED for a in assignments],
    )
    predictions = pd.DataFrame({
        **({"id": list(passages.ids)} if multi else {}),
        "text": list(passages.texts),
        "gold": [";".join(g) for g in passages.codes] if multi else gold_codes,
        "predicted": [";".join(p) for p in sets] if multi else ["" if p == UNASSIGNED else p for p in predicted],
        "score": [round(a.score, 4) for a in assignments],
        "predicted_theme": ["" if a.theme == UNASSIGNED else a.theme for a in assignments],
        "nearest": [a.best_subtheme or a.best_theme or "" for a in assignments],
        "fold": pd.array(fold_of if fold_of is not None else [None] * len(assignments), dtype="Int64"),
    })
    learned_from = passages.examples(book) if cv else list(other or ())
    settings = EvaluationSettings(
        gold=str(gold_path), codebook=book.source or book.name, codebook_sha256=book.sha256,
        model=embedder.identity, align=config.align.model_dump(mode="json"), seed=config.seed,
        resamples=resamples, examples=None if examples is None else str(examples),
        folds=folds if cv else None, group_column=group_column if cv else None,
        n_examples=sum(x.accepted and x.code != NONE_CODE for x in learned_from),
        n_rejections=sum(not x.accepted for x in learned_from),
        id_column=id_column, question_column=question_column, aligner=described,
    )
    result = Evaluation(
        levels=tuple(levels), predictions=predictions, reliability=calibration, settings=settings,
        unmatched_codes=passages.unmatched, notes=tuple(notes), sets=tuple(set_levels),
        thresholds=threshold_table([a.score for a in assignments], correct),
    )
    if predictions_out is not None:
        target = Path(predictions_out)
        target.parent.mkdir(parents=True, exist_ok=True)
        from narratives.spreadsheet import write_csv_frame

        write_csv_frame(predictions, target, index=False)
    if out_dir is not None:
        write_evaluation(result, out_dir)
    return result
