"""``narratives prevalence``: a coder's verified random sample read back (which codes each sampled
segment carries), and the corrected prevalence it gives (``prevalence.csv``, ``prevalence.json``).

Accepted from a filled-in sheet or CSV written by ``narratives export --sample-random`` (every row
records how the sample was drawn), a ``.qdpx`` project of such a sample back from a QDA tool, or
any CSV with ``segment_id`` and ``code`` columns (``code`` may be ``none``; several rows may give
one segment several codes), which is taken as a uniform random sample on the user's word.

Hand-picked units — the run's top quotes, ``--sample`` spread over codes — are refused: shares
computed from them would be biased, and no interval could say by how much.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from narratives.codebook.records import NONE_CODE, CoderDecision
from narratives.errors import InputError
from narratives.prevalence.records import RandomSample, VerifiedSample
from narratives.prevalence.table import Prevalence, prevalence_table

if TYPE_CHECKING:
    import pandas as pd

    from narratives.reports.run_dir import SavedRun

__all__ = ["METHOD_NOTE", "PrevalenceReport", "measure_prevalence", "prevalence_of", "read_verified"]

_SEGMENT_ID_COLUMNS = ("segment_id", "id")

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

    @property
    def table(self) -> pd.DataFrame:
        """``prevalence.csv``."""
        return self.prevalence.table

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


# ------------------------------------------------------------------------------ reading the sample


def read_verified(paths: Sequence[Path], run: SavedRun) -> VerifiedSample:
    """The verified sample in ``paths`` for ``run``.

    Raises:
        InputError: a file is not a random sample, was drawn from another run, names segments the
            run does not code, or holds an unknown code; the message names the file and the fix.
    """
    if not paths:
        raise InputError("no --verified file given; export a random sample with --sample-random N and fill it in")
    coded = run.segments[run.segments["status"] == "coded"]
    population = set(coded["segment_id"].astype(str))
    decisions: list[CoderDecision] = []
    samples: dict[str, RandomSample | None] = {}
    notes: list[str] = []
    for path in paths:
        if not path.is_file():
            raise InputError(f"{path}: verified file not found; check the path")
        found, sample, note = _read_one(path, run)
        samples[str(path)] = sample
        notes.extend(note)
        unknown = sorted({d.unit_id for d in found} - population)
        if unknown:
            raise InputError(
                f"{path}: {len(unknown)} segment(s) are not coded segments of the run in {run.path}: "
                f"{', '.join(unknown[:5])}{' …' if len(unknown) > 5 else ''}; verify a sample drawn from this run"
            )
        if sample is not None and sample.population != len(population):
            raise InputError(
                f"{path}: the sample was drawn from {sample.population} coded segments, but the run in {run.path} "
                f"has {len(population)}; it comes from another run. Draw a new sample from this run"
            )
        decisions.extend(found)
    drawn = {s for s in samples.values() if s is not None}
    if len(drawn) > 1:
        raise InputError(
            "the verified files come from different samples ("
            + "; ".join(f"{p}: {s}" for p, s in samples.items() if s is not None)
            + "); give the files of one sample"
        )
    sample = next(iter(drawn), None)
    codes, split = _majority(decisions)
    if split:
        notes.append(f"{split} segment(s) verified by several coders who disagree: each code counts where most "
                     "of the segment's coders gave it")
    if sample is not None and len(codes) < sample.n:
        notes.append(
            f"{sample.n - len(codes)} of the {sample.n} sampled segments are not verified yet; the intervals use "
            f"the {len(codes)} that are, which is right only if which rows were left is unrelated to what they say "
            "(a coder who stopped partway down the sheet, not one who skipped hard rows)"
        )
    coders = tuple(sorted({d.coder for d in decisions}))
    return VerifiedSample(codes, sample, tuple(str(p) for p in paths), coders, tuple(notes))


def _read_one(path: Path, run: SavedRun) -> tuple[list[CoderDecision], RandomSample | None, list[str]]:
    suffix = path.suffix.lower()
    if suffix == ".qdpx":
        return _read_project(path, run)
    if suffix not in (".xlsx", ".csv"):
        raise InputError(f"{path}: give a filled-in .xlsx, .csv or .qdpx from `narratives export --sample-random`")
    from narratives.codebook.coded import read_decisions, read_table

    rows, about = read_table(path)
    header = set(rows[0]) if rows else set()
    if "unit_id" not in header:
        return _read_plain(path, rows, run), None, [
            f"{path} does not say how its segments were chosen; it is taken as a uniform random sample of the "
            "run's coded segments (if it is not, the intervals are wrong)"
        ]
    records = {r.get("sample", "") for r in rows} | ({about["sample"]} if "sample" in about else set())
    parsed = {RandomSample.parse(r) for r in records if r}
    if not parsed or None in parsed:
        raise InputError(
            f"{path}: these are not a random sample (a sheet of the run's candidate quotes or of --sample is chosen "
            "by score or spread over codes, and shares from it would be biased). Export a random sample with "
            "`narratives export RUN --sample-random N` and verify that"
        )
    if len(parsed) > 1:
        raise InputError(
            f"{path}: rows from different samples ({', '.join(sorted(records))}); keep one sample per file"
        )
    return read_decisions(path, run.codebook), parsed.pop(), []


def _read_project(path: Path, run: SavedRun) -> tuple[list[CoderDecision], RandomSample | None, list[str]]:
    from narratives.coders.agreement_report import decisions_from_project
    from narratives.coders.candidates import candidates
    from narratives.coders.refi import read_project

    project = read_project(path, run.codebook)
    sample = project.sample
    if sample is None:
        raise InputError(
            f"{path}: this project is not a random sample (its description has no 'narratives sample:' line). "
            "Export one with `narratives export RUN --to qdpx --sample-random N`"
        )
    documents = {d.doc_id: d.text for d in run.documents.values()}
    found = decisions_from_project(path, run.codebook, candidates(run, "coded"), documents=documents, project=project)
    own = [d for d in found if d.kind == "code"]
    notes = [f"{path}: {len(own)} coding(s) on passages outside the sample are left out"] if own else []
    return [d for d in found if d.kind != "code"], sample, notes


def _read_plain(path: Path, rows: list[dict[str, str]], run: SavedRun) -> list[CoderDecision]:
    from narratives.codebook import code_index, find_code

    lower = {h.lower(): h for h in rows[0]} if rows else {}
    seg = next((lower[c] for c in _SEGMENT_ID_COLUMNS if c in lower), None)
    code = lower.get("code")
    if seg is None or code is None:
        raise InputError(f"{path}: needs a 'segment_id' and a 'code' column (code 'none' where no code fits)")
    index = code_index(run.codebook)
    out = []
    for n, row in enumerate(rows, start=2):
        segment, value = row.get(seg, "").strip(), row.get(code, "").strip()
        if not segment:
            continue
        if not value:
            raise InputError(f"{path}: row {n}: segment {segment} has no code; give one, or 'none'")
        found = NONE_CODE if value.lower() == NONE_CODE else find_code(index, value)
        if found is None:
            raise InputError(f"{path}: row {n}: code '{value}' is not in the run's codebook; use an id or 'none'")
        out.append(CoderDecision(path.stem, segment, found, "code", source_file=str(path)))
    return out


def _majority(decisions: Sequence[CoderDecision]) -> tuple[dict[str, frozenset[str]], int]:
    """Per segment, the codes most of its coders gave (each coder's codes on a segment count once)."""
    by_segment: dict[str, dict[str, set[str]]] = {}
    for d in decisions:
        by_segment.setdefault(d.unit_id, {}).setdefault(d.coder, set()).add(d.code)
    out: dict[str, frozenset[str]] = {}
    split = 0
    for segment, coders in by_segment.items():
        votes = Counter(c for codes in coders.values() for c in codes - {NONE_CODE})
        out[segment] = frozenset(c for c, k in votes.items() if 2 * k > len(coders))
        split += len({frozenset(v - {NONE_CODE}) for v in coders.values()}) > 1
    return out, split

