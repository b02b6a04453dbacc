"""``narratives prevalence``: a run and a verified random sample in, ``prevalence.csv`` and
``prevalence.json`` out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from narratives.errors import InputError
from narratives.prevalence.table import Prevalence, prevalence_table
from narratives.prevalence.verified import VerifiedSample, read_verified

if TYPE_CHECKING:
    from narratives.reports.run_dir import SavedRun

__all__ = ["METHOD_NOTE", "PrevalenceReport", "measure_prevalence", "prevalence_of"]

METHOD_NOTE = (
    "share of coded segments carrying each code: the machine's labels on every coded segment, corrected by "
    "the coder's labels on a uniform random sample (prediction-powered inference, PPI++); 95% normal "
    "intervals with the finite-population correction"
)


@dataclass(frozen=True)
class PrevalenceReport:
    """The table, the verified sample it rests on, and the run it describes."""

    prevalence: Prevalence
    verified: VerifiedSample
    run_dir: Path
    by: tuple[str, ...]

    def summary(self) -> dict[str, object]:
        sample = self.verified.sample
        return {
            "run": str(self.run_dir),
            "verified_files": list(self.verified.files),
            "coders": list(self.verified.coders),
            "verified_segments": len(self.verified.codes),
            "sample": str(sample) if sample else "not recorded (taken as a uniform random sample)",
            "by": list(self.by),
            "method": METHOD_NOTE,
            "widest_interval": self.prevalence.widest,
            "notes": list(self.verified.notes),
        }

    def write(self, out: Path) -> Path:
        from narratives.reports.atomic import staged_directory

        with staged_directory(out) as staging:
            self.write_files(staging)
        return out

    def write_files(self, folder: Path) -> None:
        """``prevalence.csv`` and ``prevalence.json`` into ``folder`` (a run's, for ``run --verified``)."""
        from narratives.spreadsheet import write_csv_frame

        write_csv_frame(self.prevalence.table, folder / "prevalence.csv", index=False)
        (folder / "prevalence.json").write_text(
            json.dumps(self.summary(), indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
        )


def measure_prevalence(run_dir: Path, verified: Sequence[Path], by: Sequence[str] = ()) -> PrevalenceReport:
    """Corrected theme prevalence for the run in ``run_dir`` from the verified files.

    Raises:
        InputError: the run or a file cannot be used, or a ``by`` column is not in the run.
    """
    from narratives.reports.run_dir import load_run

    return prevalence_of(load_run(run_dir), verified, by)


def prevalence_of(run: SavedRun, verified: Sequence[Path], by: Sequence[str] = ()) -> PrevalenceReport:
    """:func:`measure_prevalence` for a run already read (``run --verified`` uses it while writing)."""
    sample = read_verified(verified, run)
    if not sample.codes:
        raise InputError(
            f"{', '.join(map(str, verified))}: no verified rows yet; fill in the decision (or code) of each row"
        )
    try:
        table = prevalence_table(run.segments, run.codebook, sample, by)
    except KeyError as exc:
        known = [c for c in run.segments.columns if c not in ("segment_id", "text", "start", "end")]
        raise InputError(f"--by {exc.args[0]}: no such column in the run; use one of: {', '.join(known)}") from None
    return PrevalenceReport(table, sample, run.path, tuple(by))
