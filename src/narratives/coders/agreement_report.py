"""Build the agreement report from coders' decisions (and the machine's proposals).

``narratives agreement`` reads decisions (spreadsheets, CSVs, ``.qdpx`` projects), lines
them up by unit, and writes:

- ``pairs.csv``: for every pair of raters (each coder vs the machine, coder vs coder), at
  code level and theme level, the units both coded, percent agreement, Cohen's kappa and
  Gwet's AC1, each with a bootstrap 95% interval; plus Krippendorff's alpha over the
  coders and over coders + machine;
- ``per_code.csv``: the same per code (is it code c or not), per pair;
- ``precision.csv``: per coder and per proposed code, how many proposals the coder saw and
  how many they accepted (the machine's precision as judged by coders);
- ``disagreements.csv``: every unit where raters differ, with its text and each code;
- ``examples.csv``: the decisions as ``--examples`` for the next ``narratives run``;
- ``summary.json``: all of the above in one file.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from narratives.codebook.records import NONE_CODE, CoderDecision, DecisionKind
from narratives.coders.agreement import (
    Interval,
    Labels,
    bootstrap,
    cohen_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
)
from narratives.coders.records import Candidate
from narratives.errors import InputError
from narratives.models import Codebook

if TYPE_CHECKING:
    from narratives.coders.refi import ReturnedProject

__all__ = ["MACHINE", "AgreementReport", "build_report", "decisions_from_project"]

MACHINE = "machine"
NOT_COMPARED_COLUMNS = ["coder", "document", "start", "end", "code", "text", "reason", "source_file"]


@dataclass
class AgreementReport:
    """Tables of the report (DataFrames) and the headline figures."""

    pairs: pd.DataFrame
    per_code: pd.DataFrame
    precision: pd.DataFrame
    disagreements: pd.DataFrame
    examples: pd.DataFrame
    alpha: dict[str, str] = field(default_factory=dict)
    units: int = 0
    coders: tuple[str, ...] = ()
    not_compared: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=NOT_COMPARED_COLUMNS))
    """Coders' codings no other rater coded, so no agreement figure counts them, with why: on text the
    run does not code (an interviewer's question, a header), or on a passage the run did not show."""

    def write(self, out: Path) -> Path:
        from narratives.reports.atomic import staged_directory
        from narratives.spreadsheet import write_csv_frame

        with staged_directory(out) as staging:
            for name in ("pairs", "per_code", "precision", "disagreements", "examples", "not_compared"):
                write_csv_frame(getattr(self, name), staging / f"{name}.csv", index=False)
            summary = {
                "units": self.units,
                "coders": list(self.coders),
                "krippendorff_alpha": self.alpha,
                "pairs": self.pairs.to_dict("records"),
                "precision": self.precision.to_dict("records"),
                "disagreements": len(self.disagreements),
                "not_compared": len(self.not_compared),
                "method": "agreement on units both raters coded; 95% percentile bootstrap over units",
            }
            (staging / "summary.json").write_text(
                json.dumps(summary, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
            )
        return out


def _theme(codebook: Codebook, code: str | None) -> str | None:
    if code is None or code == NONE_CODE:
        return code
    try:
        return codebook.top_level(code)
    except KeyError:
        return code


def _fmt(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 4)


def _pair_stats(x: list[Any], y: list[Any], reps: int, seed: int) -> dict[str, float | None]:
    """Percent agreement, Cohen's kappa and Gwet's AC1 of two aligned code lists, with intervals."""
    xa, ya = np.array(x, dtype=object), np.array(y, dtype=object)
    out: dict[str, float | None] = {}
    for name, fn in (("percent_agreement", percent_agreement), ("cohen_kappa", cohen_kappa), ("gwet_ac1", gwet_ac1)):

        def stat(idx: np.ndarray, f: Callable[[Labels, Labels], float] = fn) -> float:
            return f(list(xa[idx]), list(ya[idx]))

        iv = bootstrap(stat, len(x), reps=reps, seed=seed)
        out[name], out[f"{name}_low"], out[f"{name}_high"] = _fmt(iv.value), _fmt(iv.low), _fmt(iv.high)
    return out


def _alpha_interval(columns: list[list[str | None]], reps: int, seed: int) -> Interval:
    def stat(idx: np.ndarray) -> float:
        return krippendorff_alpha([[c[i] for i in idx] for c in columns])

    return bootstrap(stat, len(columns[0]), reps=reps, seed=seed)


FEW_UNITS = 20
"""Per-code figures on fewer units both raters coded than this are marked as unreliable."""


def _per_code_note(a: str, used_a: int, b: str, used_b: int, n: int) -> str:
    """Why a per-code figure should not be quoted as it is."""
    notes = []
    never = [r for r, used in ((a, used_a), (b, used_b)) if used == 0]
    if never:
        notes.append(f"not estimable: {' and '.join(never)} never used this code")
    if n < FEW_UNITS:
        notes.append(f"only {n} units: read with care")
    return "; ".join(notes)


def _example_row(d: CoderDecision, proposal: str) -> dict[str, Any] | None:
    """One row of ``examples.csv``. A blind coder's code is judged against the hidden proposal:
    the same code accepts it, ``none`` rejects it, another code recodes it."""
    if not d.text:
        return None
    row = {"text": d.text, "document": d.document, "coder": d.coder}
    if d.kind == "code":
        if proposal:
            decision = "accept" if d.code == proposal else "reject" if d.code == NONE_CODE else "recode"
            return {**row, "code": proposal, "decision": decision,
                    "recode_to": d.code if decision == "recode" else ""}
        if d.code == NONE_CODE:
            return None  # no proposal to count it against
        return {**row, "code": d.code, "decision": "accept", "recode_to": ""}
    return {**row, "code": d.proposed or d.code, "decision": d.kind,
            "recode_to": d.code if d.kind == "recode" else ""}


def build_report(
    decisions: Sequence[CoderDecision],
    codebook: Codebook,
    *,
    candidates: Sequence[Candidate] = (),
    reps: int = 1000,
    seed: int = 42,
) -> AgreementReport:
    """Line decisions up by unit and compute every table; ``candidates`` are the run's
    proposals (they make the machine a rater, and give texts for disagreements)."""
    coders = sorted({d.coder for d in decisions})
    proposals = {c.unit_id: c.code for c in candidates}
    texts = {c.unit_id: c.text for c in candidates}
    for d in decisions:
        if d.proposed:
            proposals.setdefault(d.unit_id, d.proposed)
        if d.text:
            texts.setdefault(d.unit_id, d.text)
    by_coder: dict[str, dict[str, str]] = {c: {} for c in coders}
    for d in decisions:
        by_coder[d.coder][d.unit_id] = d.code
    units = sorted(set(proposals) | {u for m in by_coder.values() for u in m})
    raters = ([MACHINE] if proposals else []) + coders
    table: dict[str, list[str | None]] = {MACHINE: [proposals.get(u) for u in units]}
    for c in coders:
        table[c] = [by_coder[c].get(u) for u in units]

    levels = {"code": lambda v: v, "theme": lambda v: _theme(codebook, v)}
    pair_rows: list[dict[str, Any]] = []
    code_rows: list[dict[str, Any]] = []
    for a, b in itertools.combinations(raters, 2):
        for level, fn in levels.items():
            x = np.array([fn(v) for v in table[a]], dtype=object)
            y = np.array([fn(v) for v in table[b]], dtype=object)
            both = np.array([p is not None and q is not None for p, q in zip(x, y, strict=True)])
            xs, ys = x[both], y[both]
            n = int(both.sum())
            row: dict[str, Any] = {"rater_a": a, "rater_b": b, "level": level, "units_both_coded": n}
            row.update(_pair_stats(list(xs), list(ys), reps, seed))
            pair_rows.append(row)
            if level != "code":
                continue
            for code in sorted({v for v in [*xs, *ys] if v is not None}):
                xb, yb = [str(v == code) for v in xs], [str(v == code) for v in ys]
                used_a, used_b = sum(v == "True" for v in xb), sum(v == "True" for v in yb)
                crow: dict[str, Any] = {"rater_a": a, "rater_b": b, "code": code, "units_both_coded": n,
                                        "times_used": used_a + used_b}
                crow.update(_pair_stats(xb, yb, max(200, reps // 5), seed))
                crow["krippendorff_alpha"] = _fmt(krippendorff_alpha([xb, yb]))
                crow["note"] = _per_code_note(a, used_a, b, used_b, n)
                if used_a == 0 or used_b == 0:  # kappa is 0 by construction, not a measured agreement
                    for stat in ("cohen_kappa", "krippendorff_alpha"):
                        for key in (stat, f"{stat}_low", f"{stat}_high"):
                            if key in crow:
                                crow[key] = None
                code_rows.append(crow)

    alpha: dict[str, str] = {}
    for label, group in (("coders", coders), ("coders_and_machine", raters)):
        if len(group) < 2:
            continue
        for level, fn in levels.items():
            alpha[f"{label}_{level}"] = str(_alpha_interval([[fn(v) for v in table[r]] for r in group], reps, seed))

    prec_rows: list[dict[str, Any]] = []
    for c in coders:
        judged = [(proposals[u], by_coder[c][u]) for u in units if u in by_coder[c] and u in proposals]
        for code in ["(all)", *sorted({p for p, _ in judged})]:
            pairs = [(p, k) for p, k in judged if code in ("(all)", p)]
            accepted = sum(p == k for p, k in pairs)
            same_theme = sum(_theme(codebook, p) == _theme(codebook, k) for p, k in pairs)
            prec_rows.append({
                "coder": c, "proposed_code": code, "judged": len(pairs), "accepted": accepted,
                "precision": _fmt(accepted / len(pairs)) if pairs else None,
                "theme_precision": _fmt(same_theme / len(pairs)) if pairs else None,
            })

    dis_rows: list[dict[str, Any]] = []
    for i, u in enumerate(units):
        codes = {r: table[r][i] for r in raters if table[r][i] is not None}
        if len(set(codes.values())) > 1:
            dis_rows.append({"unit_id": u, "text": texts.get(u, ""), **{r: codes.get(r, "") for r in raters}})

    ex_rows = [ex for d in decisions if (ex := _example_row(d, proposals.get(d.unit_id, ""))) is not None]
    return AgreementReport(
        pairs=pd.DataFrame(pair_rows),
        per_code=pd.DataFrame(code_rows),
        precision=pd.DataFrame(prec_rows),
        disagreements=pd.DataFrame(dis_rows, columns=["unit_id", "text", *raters]),
        examples=pd.DataFrame(ex_rows, columns=["text", "code", "decision", "recode_to", "document", "coder"]),
        alpha=alpha,
        units=len(units),
        coders=tuple(coders),
    )


def decisions_from_project(
    path: Path, codebook: Codebook, units: Sequence[Candidate], coder: str | None = None,
    documents: Mapping[str, str] | None = None, project: ReturnedProject | None = None,
) -> list[CoderDecision]:
    """A ``.qdpx`` coming back from a QDA tool, as one coder's decisions on our units
    (``project``: the file already read with :func:`~narratives.coders.refi.read_project`).

    Tools rename selections and replace GUIDs (QualCoder does both), so units are found by
    place, not by name:

    - the units shown are those the project's description lists (``narratives units:``),
      else the selections named with a unit id or carrying its GUID;
    - a unit's source is the project source of its document's name, else the one whose text
      is the document's (``documents``: doc_id → text), byte-order mark and CRLF aside;
    - a coding counts for a unit when its selection overlaps at least half of the unit. The
      machine's code still there means accepted; no coding left means rejected; only other
      codes mean recoded (the coding covering most of the unit wins);
    - a coding on a span no shown unit covers is the coder's own new example.

    The coder is ``coder``, else the project's one user besides the machine, else the file name.
    """
    from narratives.coders.refi import MACHINE_USER, guid, read_project

    if project is None:
        project = read_project(path, codebook)
    selections = project.selections
    by_id = {u.unit_id: u for u in units}
    by_guid = {guid("selection", u.unit_id): u for u in units}
    named = {}
    for sel in selections:
        unit = by_id.get(sel.name) or by_guid.get(sel.guid)
        if unit is not None:  # the tool kept our name or GUID: its positions are right for its text
            named[unit.unit_id] = replace(unit, doc_id=sel.source, start=sel.start, end=sel.end)
    listed = project.shown_units if project.shown_units is not None else tuple(named)
    # every source exported is checked, not only those holding a shown passage: any edit is news to the researcher
    wanted = {by_id[u].doc_id for u in listed if u in by_id} | set(project.exported or {}) \
        | (set(project.sources) & set(documents or {}))
    source_of = _sources(path, project, wanted, documents or {})
    shown: dict[str, Candidate] = {}
    lost: list[str] = []
    for uid in listed:
        if uid in named:
            shown[uid] = named[uid]
        elif uid in by_id:
            located = _locate(by_id[uid], source_of, project.sources, documents or {})
            if located is None:
                lost.append(uid)
            else:
                shown[uid] = located
        else:
            lost.append(uid)
    if lost:
        raise InputError(
            f"{path}: {len(lost)} of the {len(listed)} passages this project showed the coder cannot be found in it or "
            f"in the run ({', '.join(lost[:5])}{', …' if len(lost) > 5 else ''}); their decisions cannot be read. Give "
            "--run the run this project was exported from"
        )
    people = sorted({user for sel in selections for _, user in sel.codings if user and user != MACHINE_USER})
    who = coder or (people[0] if len(people) == 1 else path.stem)
    out: list[CoderDecision] = []
    covered: set[int] = set()
    for u in sorted(shown.values(), key=lambda c: (c.doc_id, c.start, c.unit_id)):
        best: tuple[int, str] | None = None
        for n, sel in enumerate(selections):
            if sel.source != u.doc_id:
                continue
            overlap = min(sel.end, u.end) - max(sel.start, u.start)
            if overlap * 2 < (u.end - u.start):
                continue
            covered.add(n)
            for code, _user in sel.codings:
                if best is None or overlap > best[0] or (overlap == best[0] and code == u.code):
                    best = (overlap, code)
        code = NONE_CODE if best is None else best[1]
        kind: DecisionKind = "accept" if code == u.code else "reject" if best is None else "recode"
        original = by_id.get(u.unit_id, u)
        out.append(CoderDecision(who, u.unit_id, code, kind, u.code, "", str(path), u.text, original.doc_id))
    document_of = {source: doc for doc, source in source_of.items()}
    for n, sel in enumerate(selections):
        if n in covered or not sel.text.strip():
            continue
        for code, user in sel.codings:
            if user != MACHINE_USER:  # the coder's own coding of a passage we never proposed
                doc = document_of.get(sel.source, sel.source)
                out.append(CoderDecision(who, f"{doc}:{sel.start}-{sel.end}", code, "code", "", "",
                                         f"{path}:{sel.source}", " ".join(sel.text.split()), doc))
    coded_by_coder = any(user != MACHINE_USER for sel in selections for _, user in sel.codings)
    proposals_changed = project.blind is not True and any(d.kind != "accept" for d in out)
    if shown and not coded_by_coder and not proposals_changed:
        raise InputError(
            f"{path}: no coder activity: "
            + ("no passage is coded" if project.blind else
               "every proposal is still there as narratives made it, and nothing was added or removed")
            + ", so it reads as a project given back unreviewed and is not counted (it would score a perfect "
            "agreement by construction). If the coder did review it and "
            + ("found no code fitting any passage" if project.blind else "kept every proposal")
            + ", record that in a review sheet (narratives export RUN --to xlsx) instead"
        )
    return out


def _locate(unit: Candidate, source_of: Mapping[str, str], texts: Mapping[str, str],
            documents: Mapping[str, str]) -> Candidate | None:
    """``unit`` placed on its project source: at its own offsets when the source text is the
    document's, else where its text first occurs (a de-identified or edited copy); ``None`` if absent."""
    source = source_of.get(unit.doc_id)
    if source is None or source not in texts:
        return None
    text = texts[source]
    if text == documents.get(unit.doc_id) or text[unit.start:unit.end] == unit.text:
        return replace(unit, doc_id=source)
    at = text.find(unit.text)
    return None if at < 0 else replace(unit, doc_id=source, start=at, end=at + len(unit.text))


def _sources(path: Path, project: ReturnedProject, wanted: set[str], documents: Mapping[str, str]) -> dict[str, str]:
    """doc_id → the project source holding it: the source of that name, else the one with its text
    (a tool may rename sources). Each must hold the text narratives exported: a coder's edit
    ("salary" → "XXXXXX") would move codings onto other words, so it is refused, naming the place.

    The text exported is known by its hash in the project description; for a project exported before
    narratives wrote it there, by the run's document (so an old de-identified export counts as edited)."""
    from narratives.coders.refi import text_hash

    expected = {doc: (project.exported or {}).get(doc) or (text_hash(documents[doc]) if doc in documents else None)
                for doc in wanted}
    by_hash = {text_hash(text): name for name, text in project.sources.items()}
    out: dict[str, str] = {}
    edited: list[str] = []
    for doc in sorted(wanted):
        want = expected[doc]
        if doc in project.sources and (want is None or text_hash(project.sources[doc]) == want):
            out[doc] = doc
        elif want is not None and want in by_hash:
            out[doc] = by_hash[want]
        elif doc in project.sources:
            edited.append(_first_change(doc, documents.get(doc), project.sources[doc]))
        elif doc in documents and documents[doc] in project.sources.values():
            out[doc] = next(n for n, t in project.sources.items() if t == documents[doc])
        else:
            edited.append(f"{doc}: no source in the project holds its text")
    if edited:
        raise InputError(
            f"{path}: the text of {len(edited)} source(s) is not the text narratives exported ({'; '.join(edited[:3])}"
            f"{'; …' if len(edited) > 3 else ''}). The coder's codings would be matched to other words than the run's, "
            "so the project is not read. Ask the coder to code the project as exported (a QDA tool's own edit mode "
            "changes the source), or export the run again"
        )
    return out


def _first_change(name: str, before: str | None, after: str) -> str:
    """Where a returned source first differs from the text exported, in a few words of each."""
    if before is None:
        return f"{name}: its text was changed"
    at = next((i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b), min(len(before), len(after)))
    return (f"{name}, at character {at:,}: '{before[max(0, at - 12):at + 12]}' became "
            f"'{after[max(0, at - 12):at + 12]}'")


def measure_agreement(
    paths: Sequence[Path],
    *,
    run_dir: Path | None = None,
    codebook_path: Path | None = None,
    reps: int = 1000,
    seed: int = 42,
) -> AgreementReport:
    """Read every decisions file (``.xlsx``, ``.csv``, ``.qdpx``) and build the report.

    ``run_dir`` gives the machine's proposals and the codebook (needed for ``.qdpx``);
    without it, ``codebook_path`` is required and the proposals come from the files.
    """
    from narratives.codebook import load_codebook
    from narratives.codebook.coded import read_coded_file
    from narratives.coders.candidates import candidates as run_candidates
    from narratives.reports.run_dir import load_run

    if not paths:
        raise InputError("give at least one decisions file (.xlsx, .csv or .qdpx)")
    units: list[Candidate] = []
    if run_dir is not None:
        run = load_run(run_dir)
        codebook = run.codebook
        units = run_candidates(run, "coded")  # a random sample shows unassigned segments (proposal none) too
    elif codebook_path is not None:
        codebook = load_codebook(codebook_path)
    else:
        raise InputError("give --run RUN_DIR (the run the quotes came from) or --codebook FILE")
    decisions: list[CoderDecision] = []
    for path in paths:
        if not path.is_file():
            raise InputError(f"{path}: decisions file not found")
        if path.suffix.lower() == ".qdpx":
            if run_dir is None:
                raise InputError(f"{path}: a .qdpx project is matched to the run's segments; give --run RUN_DIR")
            texts = {doc_id: d.text for doc_id, d in run.documents.items()}
            decisions.extend(decisions_from_project(path, codebook, units, documents=texts))
        else:
            decisions.extend(read_coded_file(path, codebook))
    if not decisions:
        raise InputError("no decisions in the files yet: fill in the decision (or code) column first")
    judged = {d.unit_id for d in decisions}
    shown = [u for u in units if u.unit_id in judged]
    report = build_report(decisions, codebook, candidates=shown, reps=reps, seed=seed)
    known = {u.unit_id for u in units}
    own = [d for d in decisions if d.kind == "code" and d.unit_id not in known]
    if run_dir is not None and own:
        report = replace(report, not_compared=not_compared(own, run.segments,
                                                           [d for d in decisions if d.unit_id in known]))
    return report


_STATUS_WORDS = {"interviewer": "an interviewer's turn", "outside-turn": "text outside any speaker's turn (a header)",
                 "too-short": "a fragment too short to code"}


def not_compared(own: Sequence[CoderDecision], segments: pd.DataFrame,
                 others: Sequence[CoderDecision]) -> pd.DataFrame:
    """The coders' own codings (passages the run did not show) that no other rater coded, with why the run
    has nothing to compare them with: they lie on text the run does not code, or the run coded the
    passage but did not show it. They still go to ``examples.csv``."""
    others_units = {d.unit_id for d in others}
    coders: dict[str, set[str]] = {}
    for d in own:
        coders.setdefault(d.unit_id, set()).add(d.coder)
    rows = []
    for d in own:
        if len(coders[d.unit_id]) > 1 or d.unit_id in others_units:
            continue  # two coders coded it: it is compared
        doc, _, span = d.unit_id.rpartition(":")
        start, _, end = span.partition("-")
        lo, hi = (int(start), int(end)) if start.isdigit() and end.isdigit() else (-1, -1)
        here = segments[(segments["doc_id"] == doc) & (segments["start"] < hi) & (segments["end"] > lo)]
        statuses = sorted(set(here["status"].astype(str)))
        if not statuses:
            reason = "text the run does not analyse (removed as a header, reference or boilerplate)"
        elif "coded" not in statuses:
            reason = "text the run does not code: " + ", ".join(_STATUS_WORDS.get(s, s) for s in statuses)
        else:
            reason = "a passage the run coded but did not show this coder; no other rater coded it"
        rows.append({"coder": d.coder, "document": doc, "start": lo, "end": hi, "code": d.code, "text": d.text,
                     "reason": reason, "source_file": d.source_file})
    return pd.DataFrame(rows, columns=NOT_COMPARED_COLUMNS)
