"""Write a run's reports into an output directory, atomically.

Files are written into a hidden sibling directory first and moved into place only when
all of them are complete, so an interrupted run never leaves half a report, and an
existing directory is replaced only after the new one is ready.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from narratives.reports.atomic import staged_directory

if TYPE_CHECKING:
    from narratives.result import RunResult

REPORT_FILES = (
    "segments.csv", "theme_frequencies.csv", "quotes.csv", "topics.csv", "run_manifest.json",
)


def write_reports(
    result: RunResult, out_dir: str | Path, *, inputs: Sequence[str | Path], manifest: str | Path | None
) -> Path:
    """Write all reports to ``out_dir`` (replacing it if it exists) and return its path."""
    from narratives.reports.run_manifest import build_run_manifest

    started = time.perf_counter()
    out = Path(out_dir)
    with staged_directory(out) as staging:
        result.segments_frame().to_csv(staging / "segments.csv", index=False)
        result.theme_frequencies().to_csv(staging / "theme_frequencies.csv", index=False)
        result.quotes().to_csv(staging / "quotes.csv", index=False)
        result.topics_frame().to_csv(staging / "topics.csv", index=False)
        result.timings["report"] = round(time.perf_counter() - started, 3)
        data = build_run_manifest(result, inputs=inputs, manifest=manifest)
        (staging / "run_manifest.json").write_text(
            json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return out
