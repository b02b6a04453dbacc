"""Write a run's reports into an output directory, atomically.

Files are written into a hidden sibling directory first and moved into place only when
all of them are complete, so an interrupted run never leaves half a report, and an
existing directory is replaced only after the new one is ready.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from narratives.reports.atomic import staged_directory
from narratives.spreadsheet import write_csv_frame
from narratives.stages import peak_rss_mb, reset_peak

if TYPE_CHECKING:
    import pandas as pd

    from narratives.models import Document
    from narratives.reports.run_dir import SavedRun
    from narratives.result import RunResult

REPORT_FILES = (
    "report.html", "segments.csv", "theme_frequencies.csv", "quotes.csv", "topics.csv", "topic_map.csv",
    "run_manifest.json", "documents.jsonl", "codebook.yaml", "figures",
)
"""Everything a run writes. ``report.html`` is the page to read; ``figures/`` holds its
charts as PNG and SVG. ``documents.jsonl`` (each document's analysed text and metadata)
and ``codebook.yaml`` (the codebook as used) let ``narratives export``, ``agreement`` and
``report`` work from the run directory alone, without the original files."""


class CorrectedShares(Protocol):
    """Shares corrected by a verified sample (:class:`narratives.coders.verification.PrevalenceReport`)."""

    @property
    def table(self) -> pd.DataFrame:
        """``prevalence.csv``."""
        ...

    def summary(self) -> dict[str, object]: ...

    def write_files(self, folder: Path) -> None: ...


@dataclass(frozen=True)
class WrittenRun:
    """What writing the reports added to the run: where, the report step's time and memory, and the
    corrected shares when a verified sample was given."""

    path: Path
    timings: dict[str, float]
    peak_memory_mb: dict[str, float]
    prevalence: pd.DataFrame | None = None


def write_reports(
    result: RunResult, out_dir: str | Path, *, inputs: Sequence[str | Path], manifest: str | Path | None,
    correct: Callable[[SavedRun], CorrectedShares] | None = None,
) -> WrittenRun:
    """Write all reports to ``out_dir`` (replacing it if it exists); ``result`` is left as it was.

    ``correct`` (``run --verified``) computes corrected shares from the run as written; they are
    written beside the tables and shown in the report."""
    from narratives.codebook import codebook_to_yaml
    from narratives.reports.page.build import write_report
    from narratives.reports.run_dir import load_run
    from narratives.reports.run_manifest import build_run_manifest

    reset_peak()
    started = time.perf_counter()
    out = Path(out_dir)
    prevalence: pd.DataFrame | None = None
    with staged_directory(out) as staging:
        write_csv_frame(result.segments_frame(), staging / "segments.csv", index=False)
        write_csv_frame(result.theme_frequencies(), staging / "theme_frequencies.csv", index=False)
        write_csv_frame(result.quotes(), staging / "quotes.csv", index=False)
        write_csv_frame(result.topics_frame(), staging / "topics.csv", index=False)
        write_csv_frame(result.topic_map_frame(), staging / "topic_map.csv", index=False)
        write_documents(result.corpus.documents, staging / "documents.jsonl")
        (staging / "codebook.yaml").write_text(codebook_to_yaml(result.codebook), encoding="utf-8")
        timings = {**result.timings, "report": round(time.perf_counter() - started, 3)}
        memory = {**result.peak_memory_mb, "report": peak_rss_mb()}
        data = build_run_manifest(replace(result, timings=timings, peak_memory_mb=memory),
                                  inputs=inputs, manifest=manifest)
        _write_manifest(staging, data)
        saved = load_run(staging, verify=False)
        if correct is not None:  # corrected shares, from the tables just written (as `narratives prevalence`)
            corrected = correct(saved)
            corrected.write_files(staging)
            prevalence = corrected.table
            data["prevalence"] = corrected.summary()
            _write_manifest(staging, data)  # again: it now also hashes prevalence.csv
            saved = replace(saved, manifest=data, prevalence=prevalence)
        # from the files just written, exactly as `narratives report` rebuilds it
        write_report(saved, figures=result.config.report.figures)
    return WrittenRun(out, timings, memory, prevalence)


def _write_manifest(folder: Path, data: dict[str, object]) -> None:
    """``run_manifest.json`` with the hashes of every file in ``folder`` so far."""
    from narratives.reports.run_dir import file_hashes

    data["files"] = file_hashes(folder)
    (folder / "run_manifest.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_documents(documents: Sequence[Document], path: Path) -> None:
    """One JSON object per line: ``doc_id, source, kind, title, sha256, metadata, text``."""
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for d in documents:
            record = {
                "doc_id": d.doc_id, "source": d.source, "kind": d.kind, "title": d.title,
                "sha256": d.sha256, "metadata": dict(d.metadata), "text": d.text,
            }
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
