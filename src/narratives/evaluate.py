"""Score the aligner against human-coded passages (``narratives evaluate``).

The gold file is a CSV with a text column and a code column. Gold codes are matched to
codebook entries by id, label or slug of either. Each passage is coded exactly as
``narratives run`` codes a segment; an ``unassigned`` prediction counts as wrong.
Metrics are reported at code level (subtheme where the codebook has them) and at
parent-theme level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from narratives.config import RunConfig
from narratives.errors import ConfigError, InputError
from narratives.models import UNASSIGNED, Assignment, Codebook

TEXT_CANDIDATES = ("text", "content", "passage", "quote", "segment")
CODE_CANDIDATES = ("code", "tag", "gold", "label", "theme", "subtheme")


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


@dataclass(frozen=True)
class LevelScores:
    """Agreement of predictions with gold at one level of the codebook."""

    level: str
    n: int
    accuracy: float
    macro_f1: float
    kappa: float
    unassigned_rate: float
    per_code: pd.DataFrame


@dataclass(frozen=True)
class Evaluation:
    """What ``narratives evaluate`` reports."""

    levels: tuple[LevelScores, ...]
    predictions: pd.DataFrame
    unmatched_codes: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def _pick(columns: list[str], wanted: str | None, candidates: tuple[str, ...], what: str, path: Path) -> str:
    if wanted is not None:
        if wanted not in columns:
            raise InputError(f"{path}: no column '{wanted}' for the {what}; columns are: {', '.join(columns)}")
        return wanted
    lowered = {c.lower(): c for c in columns}
    for name in candidates:
        if name in lowered:
            return lowered[name]
    raise InputError(
        f"{path}: cannot tell which column holds the {what}; name it with --{what}-column "
        f"(columns are: {', '.join(columns)})"
    )


def _code_index(codebook: Codebook) -> dict[str, str]:
    index: dict[str, str] = {}
    for entry in codebook.entries:
        for key in (entry.id, entry.label, _slug(entry.id), _slug(entry.label)):
            index.setdefault(key.lower(), entry.id)
    return index


def _scores(level: str, gold: list[str], predicted: list[str]) -> LevelScores:
    from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score, precision_recall_fscore_support

    labels = sorted(set(gold))
    p, r, f, s = precision_recall_fscore_support(gold, predicted, labels=labels, zero_division=0)
    per_code = pd.DataFrame(
        {"code": labels, "precision": p.round(3), "recall": r.round(3), "f1": f.round(3), "support": s}
    )
    predicted_counts = pd.Series(predicted).value_counts()
    per_code["predicted"] = [int(predicted_counts.get(c, 0)) for c in labels]
    kappa = cohen_kappa_score(gold, predicted) if len(set(gold) | set(predicted)) > 1 else 1.0
    return LevelScores(
        level=level,
        n=len(gold),
        accuracy=float(accuracy_score(gold, predicted)),
        macro_f1=float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)),
        kappa=float(kappa),
        unassigned_rate=sum(p == UNASSIGNED for p in predicted) / max(1, len(predicted)),
        per_code=per_code,
    )


def evaluate(
    gold: str | Path,
    codebook: str | Path | Codebook,
    *,
    text_column: str | None = None,
    code_column: str | None = None,
    config: RunConfig | None = None,
    predictions_out: str | Path | None = None,
    progress: bool = False,
) -> Evaluation:
    """Code every gold passage and compare with the human codes."""
    from narratives.align import build_aligner, load_codebook
    from narratives.embed import build_embedder

    config = config or RunConfig()
    if not isinstance(codebook, Codebook):
        codebook = load_codebook(codebook)
    path = Path(gold)
    if not path.is_file():
        raise InputError(f"{path}: gold file not found")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    text_col = _pick(list(frame.columns), text_column, TEXT_CANDIDATES, "text", path)
    code_col = _pick(list(frame.columns), code_column, CODE_CANDIDATES, "code", path)
    frame = frame[(frame[text_col].str.strip() != "") & (frame[code_col].str.strip() != "")]
    if frame.empty:
        raise InputError(f"{path}: no rows with both a text and a code")

    index = _code_index(codebook)
    raw_codes = [c.strip() for c in frame[code_col]]
    gold_codes = [index.get(c.lower(), index.get(_slug(c), c)) for c in raw_codes]
    known = {e.id for e in codebook.entries}
    unmatched = tuple(sorted({c for c, g in zip(raw_codes, gold_codes, strict=True) if g not in known}))
    if not any(g in known for g in gold_codes):
        raise ConfigError(
            f"{path}: none of the codes in column '{code_col}' match codebook {codebook.source or codebook.name}; "
            f"first codes: {', '.join(raw_codes[:5])}"
        )

    embedder = build_embedder(config.embed)
    embeddings = embedder.embed(list(frame[text_col]), progress=progress)
    aligner = build_aligner(config.align).fit(codebook, embedder)
    assignments = aligner.assign(embeddings)

    def code_of(a: Assignment) -> str:
        return a.subtheme or a.theme

    def parent(code: str) -> str:
        return codebook.top_level(code) if code in known else code

    predicted_codes = [code_of(a) for a in assignments]
    levels = [_scores("code", gold_codes, predicted_codes)]
    if any(e.parent for e in codebook.entries):
        levels.append(_scores("theme", [parent(g) for g in gold_codes], [a.theme for a in assignments]))

    predictions = pd.DataFrame({
        "text": list(frame[text_col]),
        "gold": gold_codes,
        "predicted": ["" if p == UNASSIGNED else p for p in predicted_codes],
        "score": [round(a.score, 4) for a in assignments],
        "predicted_theme": ["" if a.theme == UNASSIGNED else a.theme for a in assignments],
        "nearest": [a.best_subtheme or a.best_theme or "" for a in assignments],
    })
    if predictions_out is not None:
        out = Path(predictions_out)
        out.parent.mkdir(parents=True, exist_ok=True)
        predictions.to_csv(out, index=False)
    notes = tuple(f"gold code '{c}' is not in the codebook; its passages always count as wrong" for c in unmatched)
    return Evaluation(levels=tuple(levels), predictions=predictions, unmatched_codes=unmatched, notes=notes)
