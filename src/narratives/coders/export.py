"""``narratives export``: a run's candidate quotes for human coders, in their tools' formats."""

from __future__ import annotations

import csv
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from narratives.about import __version__
from narratives.codebook import NONE_CODE, slugify
from narratives.coders.candidates import Units, candidates
from narratives.coders.records import Candidate
from narratives.errors import InputError, OutputExistsError
from narratives.models import Document
from narratives.prevalence.records import RandomSample
from narratives.reports.atomic import named, note_placed, uninterrupted
from narratives.spreadsheet import csv_row

if TYPE_CHECKING:
    from narratives.reports.run_dir import SavedRun

__all__ = ["FORMATS", "ExportResult", "export_run"]

Format = Literal["qdpx", "qdc", "xlsx", "csv"]
FORMATS: tuple[Format, ...] = ("qdpx", "qdc", "xlsx", "csv")


@dataclass(frozen=True)
class ExportResult:
    """What was written: the files (one per coder), how many units, and replacements made."""

    files: tuple[Path, ...]
    units: int
    replacements: int = 0
    map_file: Path | None = None
    sample: RandomSample | None = None
    """How a ``sample_random`` export was drawn."""


def _targets(out: Path, fmt: Format, coders: Sequence[str]) -> list[tuple[str | None, Path]]:
    suffix = f".{fmt}"
    base = out if out.suffix.lower() == suffix else out.with_name(out.name + suffix)
    if not coders:
        return [(None, base)]
    files = [(c, base.with_name(f"{base.stem}-{slugify(c) or 'coder'}{suffix}")) for c in coders]
    by_file: dict[str, list[str]] = {}
    for coder, path in files:
        by_file.setdefault(path.name.lower(), []).append(coder)  # lower: one file on a case-blind disk too
    same = [names for names in by_file.values() if len(names) > 1]
    if same:
        shown = "; ".join(" and ".join(repr(n) for n in names) for names in same)
        raise InputError(f"--coders: {shown} would be written to the same file, so one coder's sheet would replace "
                         "the other's. Names are compared without case, spaces and punctuation: give each coder "
                         "once, or tell them apart (e.g. Amna K, Amna R)")
    return [(coder, path) for coder, path in files]


def _sample(units: list[Candidate], n: int | None, seed: int) -> list[Candidate]:
    """At most ``n`` units, spread over proposed codes (round-robin in a seeded shuffle)."""
    if n is None or n >= len(units):
        return units
    by_code: dict[str, list[Candidate]] = {}
    for u in units:
        by_code.setdefault(u.code, []).append(u)
    rng = random.Random(seed)
    for group in by_code.values():
        rng.shuffle(group)
    picked: list[Candidate] = []
    while len(picked) < n:
        for code in sorted(by_code):
            if by_code[code] and len(picked) < n:
                picked.append(by_code[code].pop())
    return sorted(picked, key=lambda c: (c.doc_id, c.start, c.unit_id))


def _random_sample(units: list[Candidate], n: int, seed: int, strata: str) -> list[Candidate]:
    """``n`` units drawn uniformly at random without replacement; with ``strata``, each value of that
    metadata column gets its share of ``n`` in proportion to its size (largest remainders), drawn
    uniformly within it. In document order."""
    rng = random.Random(f"random-sample:{seed}")
    if n >= len(units):
        return list(units)
    if not strata:
        picked = rng.sample(units, n)
    else:
        groups: dict[str, list[Candidate]] = {}
        for u in units:
            groups.setdefault(u.metadata.get(strata, ""), []).append(u)
        quotas = {g: n * len(members) / len(units) for g, members in groups.items()}
        take = {g: int(q) for g, q in quotas.items()}
        for g in sorted(quotas, key=lambda g: (-(quotas[g] - take[g]), g))[: n - sum(take.values())]:
            take[g] += 1
        picked = [u for g in sorted(groups) for u in rng.sample(groups[g], take[g])]
    return sorted(picked, key=lambda c: (c.doc_id, c.start, c.unit_id))


def _uncertain_sample(units: list[Candidate], n: int) -> list[Candidate]:
    """The ``n`` units the aligner is least sure of (lowest score), spread over proposed codes
    (round-robin; a unit left unassigned counts under the code it was nearest, so every code is
    asked about, also one the machine never proposed) and documents (at most twice a document's
    even share). Units a coder already decided are left out.

    On the usability set (3 folds of whole sessions, ``benchmarks/first_rounds.py``) decisions drawn
    this way taught the aligner more than random ones, and than the candidate quotes ``--sample``
    draws, from 10 to 100 decisions, and about as much as random at 200."""
    units = [u for u in units if u.coded_by != "coder"]
    if n >= len(units):
        return list(units)
    by_code: dict[str, list[Candidate]] = {}
    for u in sorted(units, key=lambda c: (c.score, c.unit_id)):
        by_code.setdefault(u.code if u.code != NONE_CODE else f"{NONE_CODE}:{u.nearest}", []).append(u)
    cap = 2 * -(-n // max(1, len({u.doc_id for u in units})))
    per_doc: dict[str, int] = {}
    picked: list[Candidate] = []
    while len(picked) < n and any(by_code.values()):
        for code in sorted(by_code):
            queue = by_code[code]
            while queue and per_doc.get(queue[0].doc_id, 0) >= cap:
                queue.pop(0)
            if queue and len(picked) < n:
                unit = queue.pop(0)
                picked.append(unit)
                per_doc[unit.doc_id] = per_doc.get(unit.doc_id, 0) + 1
    return sorted(picked, key=lambda c: (c.doc_id, c.start, c.unit_id))


def export_run(
    run_dir: Path,
    fmt: Format,
    out: Path,
    *,
    coders: Sequence[str] = (),
    blind: bool = False,
    units: Units = "quotes",
    sample: int | None = None,
    sample_random: int | None = None,
    strata: str | None = None,
    sample_uncertain: int | None = None,
    deidentify: bool = False,
    names: Path | None = None,
    deidentify_map: Path | None = None,
    force: bool = False,
    seed: int | None = None,
) -> ExportResult:
    """Export the run in ``run_dir`` to ``out`` (a file; ``-coder`` is added per coder).

    Existing files are never overwritten without ``force`` (a coder's filled-in sheet may
    be there). ``seed`` (default: the run's seed) fixes sampling and per-coder shuffles.

    ``sample_random``: a uniform random sample of that many of the run's coded segments
    (unassigned ones included), optionally stratified by the metadata column ``strata``, for
    ``narratives prevalence``; the file records how it was drawn. ``sample`` instead spreads
    units over codes, which suits learning and agreement but not prevalence.
    ``sample_uncertain``: the coded segments the aligner is least sure of, spread over codes and
    documents, for the next ``--examples`` round (never for prevalence: they are not random).
    """
    from narratives.codebook.qdc import export_codebook_qdc
    from narratives.coders.sheets import coder_order
    from narratives.reports.run_dir import load_run

    if fmt not in FORMATS:
        raise InputError(f"unknown export format '{fmt}'; use one of: {', '.join(FORMATS)}")
    if not deidentify and (names is not None or deidentify_map is not None):
        raise InputError("--names and --deidentify-map need --deidentify")
    run = load_run(run_dir)
    seed = int(run.manifest.get("seed", 42)) if seed is None else seed
    targets = _targets(out, fmt, coders)
    clashes = [str(p) for _, p in targets if p.exists()]
    if deidentify_map is not None and deidentify_map.exists():
        clashes.append(str(deidentify_map))
    if clashes and not force:
        raise OutputExistsError(
            f"{', '.join(clashes)} already exist(s); a coder's work may be in it. Choose another --out, "
            "or add --force to replace it"
        )
    origin = f"narratives {__version__}"
    if fmt == "qdc":
        if coders or blind or deidentify:
            raise InputError("--coders, --blind and --deidentify apply to quotes, not to a codebook (.qdc) export")
        targets[0][1].parent.mkdir(parents=True, exist_ok=True)
        return ExportResult((export_codebook_qdc(run.codebook, targets[0][1], origin=origin),), 0)

    drawn: RandomSample | None = None
    if sum(x is not None for x in (sample, sample_random, sample_uncertain)) > 1:
        raise InputError("--sample, --sample-random and --sample-uncertain are different samples; give one")
    if strata and sample_random is None:
        raise InputError("--strata applies to --sample-random")
    if sample_uncertain is not None:
        chosen = _uncertain_sample(candidates(run, "coded"), sample_uncertain)
    elif sample_random is not None:
        population = candidates(run, "coded")
        if strata and not any(strata in u.metadata for u in population):
            known = sorted({k for u in population for k in u.metadata})
            raise InputError(f"--strata {strata}: no such attribute in the run; known: {', '.join(known) or 'none'}")
        chosen = _random_sample(population, sample_random, seed, strata or "")
        drawn = RandomSample(len(chosen), len(population), seed, strata or "")
    else:
        chosen = _sample(candidates(run, units), sample, seed)
    if not chosen:
        what = "candidate quotes (try --units assigned for every coded segment)" if units == "quotes" else (
            "coded segments")
        raise InputError(
            f"{run_dir}: nothing to export: the run has no {what}. Its summary says why (e.g. nothing was "
            "coded); change the settings and run it again"
        )
    documents: dict[str, Document] = run.documents
    replacements = 0
    if deidentify:
        from narratives.coders.deidentify import deidentify as scrub
        from narratives.coders.deidentify import load_names

        result = scrub(run.documents, chosen, load_names(names) if names else ())
        documents, chosen, replacements = result.documents, result.units, len(result.replacements)
        if deidentify_map is not None:
            deidentify_map.parent.mkdir(parents=True, exist_ok=True)
            with deidentify_map.open("w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(["doc_id", "start", "end", "original", "replacement", "rule"])
                for r in result.replacements:
                    w.writerow(csv_row([r.doc_id, r.start, r.end, r.original, r.replacement, r.rule]))

    written: list[Path] = []
    for coder, path in targets:
        path.parent.mkdir(parents=True, exist_ok=True)
        ordered = coder_order(chosen, coder, seed)
        # each file is written beside its target and moved in whole: an interrupted export never
        # leaves half a file where a coder's filled-in sheet was
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        try:
            try:
                _write_one(fmt, partial, run, ordered, documents=documents, coder=coder, blind=blind,
                           origin=origin, deidentify=deidentify, sample=drawn)
            except OSError as exc:
                raise named(exc, path) from exc
            with uninterrupted():
                os.replace(partial, path)
                note_placed(path)
        finally:
            partial.unlink(missing_ok=True)
        written.append(path)
    return ExportResult(tuple(written), len(chosen), replacements, deidentify_map if deidentify else None, drawn)


def _what(run: SavedRun, ordered: Sequence[Candidate], sample: RandomSample | None, blind: bool) -> str:
    hidden = ", blind (the machine's proposal is hidden)" if blind else ""
    if sample is None:
        return f"Candidate quotes from the narratives run in {run.path}: {len(ordered)} units{hidden}."
    within = f", in proportion within each {sample.strata}" if sample.strata else ""
    return (f"A uniform random sample of {sample.n} of the {sample.population} coded segments of the narratives "
            f"run in {run.path}{within}{hidden}, for `narratives prevalence`: judge every row, including those "
            "where the machine proposes 'none' (accept: no code fits; recode: the code that fits).")


def _write_one(fmt: Format, path: Path, run: SavedRun, ordered: Sequence[Candidate], *,
               documents: dict[str, Document], coder: str | None, blind: bool, origin: str, deidentify: bool,
               sample: RandomSample | None) -> None:
    from narratives.coders.refi import export_project
    from narratives.coders.sheets import write_csv, write_xlsx

    if fmt == "qdpx":
        export_project(run, ordered, path, documents=documents, coder=coder, blind=blind, origin=origin,
                       sample=sample)
    elif fmt == "csv":
        write_csv(path, ordered, run.codebook, blind=blind, sample=sample)
    else:
        about = {
            "coder": coder or "",
            "what": _what(run, ordered, sample, blind),
            "how to fill": (
                "For each row choose a code in 'code' (the Codebook sheet defines them; 'none' when no code fits)."
                if blind else
                "For each row choose a decision: accept (the proposed code is right), reject (it is wrong "
                "and no code fits), or recode (choose the right code in recode_to). Comments are welcome."
            ),
            "then": "Return the file; `narratives agreement FILE... --run RUN_DIR` measures agreement and "
                    "turns decisions into --examples for the next run.",
            "codebook": f"{run.codebook.name} (sha256 {run.codebook_sha256[:12]}, as in run_manifest.json)",
            "model": run.model,
            "run created": str(run.manifest.get("created", "")),
            "de-identified": "yes" if deidentify else "no",
            "exported by": origin,
        }
        if sample is not None:
            about["sample"] = str(sample)
        write_xlsx(path, ordered, run.codebook, blind=blind, about=about, sample=sample)
