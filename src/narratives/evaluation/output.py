"""Write an evaluation report into a directory, atomically.

Files are written into a hidden sibling directory and moved into place only when all of
them are complete, so an interrupted run never leaves half a report; an existing
directory (allowed only with ``force``) is replaced only once the new one is ready.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from narratives.evaluation.records import Evaluation
from narratives.reports.atomic import staged_directory
from narratives.spreadsheet import write_csv_frame

EVALUATION_FILES = (
    "predictions.csv", "per_code.csv", "confusion.csv", "reliability.csv", "thresholds.csv", "summary.json",
)
"""Single-label gold; multi-label gold (``--id-column``) has no ``confusion.csv``."""


def summary_dict(evaluation: Evaluation) -> dict[str, Any]:
    """Everything needed to quote and reproduce the headline numbers (``summary.json``)."""
    from narratives.about import __version__

    settings = evaluation.settings
    return {
        "narratives_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "n": len(evaluation.predictions),
        "levels": {level.level: level.as_dict() for level in (*evaluation.levels, *evaluation.sets)},
        "multi_label": bool(evaluation.sets),
        "reliability": evaluation.reliability.as_dict(),
        "interval": "percentile bootstrap 95% over passages" if settings.resamples else None,
        "settings": {
            "gold": settings.gold,
            "examples": settings.examples,
            "n_examples": settings.n_examples,
            "n_rejections": settings.n_rejections,
            "folds": settings.folds,
            "group_column": settings.group_column,
            "id_column": settings.id_column,
            "question_column": settings.question_column,
            "seed": settings.seed,
            "bootstrap_resamples": settings.resamples,
            "align": settings.align,
        },
        "model": settings.model,
        "aligner": settings.aligner,
        "thresholds": evaluation.thresholds.to_dict(orient="records"),
        "codebook": {"source": settings.codebook, "sha256": settings.codebook_sha256},
        "unmatched_codes": list(evaluation.unmatched_codes),
        "notes": list(evaluation.notes),
    }


def write_evaluation(evaluation: Evaluation, out_dir: str | Path) -> Path:
    """Write :data:`EVALUATION_FILES` to ``out_dir`` (replacing it if it exists) and return its path.

    ``per_code.csv`` and ``confusion.csv`` are at code level; with a hierarchical codebook
    ``per_code.csv`` also has the theme level (column ``level``) and ``confusion_theme.csv``
    is added.
    """
    out = Path(out_dir)
    with staged_directory(out) as staging:
        write_csv_frame(evaluation.predictions, staging / "predictions.csv", index=False)
        per_code = [level.per_code.assign(level=level.level) for level in (*evaluation.levels, *evaluation.sets)]
        frame = pd.concat(per_code, ignore_index=True)
        write_csv_frame(frame[["level", *[c for c in frame.columns if c != "level"]]], staging / "per_code.csv",
                        index=False)
        for level in evaluation.levels:
            name = "confusion.csv" if level.level == "code" else f"confusion_{level.level}.csv"
            write_csv_frame(level.confusion, staging / name, index_label="gold")
        write_csv_frame(evaluation.reliability.table, staging / "reliability.csv", index=False)
        write_csv_frame(evaluation.thresholds, staging / "thresholds.csv", index=False)
        (staging / "summary.json").write_text(
            json.dumps(summary_dict(evaluation), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return out
