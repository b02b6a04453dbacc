"""The one reader of coded passages: every file a coder or a study hands back, as decisions.

``narratives run --examples``, ``narratives evaluate`` (its gold file and ``--examples``) and
``narratives agreement`` all read coded passages here, so a ``decision`` column means the
same everywhere. What is read:

- **a filled-in sheet** from ``narratives export`` (``.xlsx``, or a CSV with a ``unit_id``
  column): :func:`read_decisions`; rows not yet judged are skipped;
- **a REFI-QDA project** (``.qdpx``) coming back from a QDA tool, matched to a run's units
  (:func:`narratives.coders.agreement_report.decisions_from_project`; needs the run);
- **a plain CSV** (UTF-8, header row), one row per (passage, code):

  - the passage: ``text``, ``content``, ``passage``, ``quote`` or ``segment``;
  - the code: ``code``, ``tag``, ``theme``, ``subtheme``, ``label`` or ``gold``, a codebook
    id or label (any case, also as a slug); ``none`` means no code of the codebook applies;
  - optional ``decision``: ``accept`` (the default when empty), ``reject`` or ``recode``
    (with the new code in ``recode_to``);
  - optional ``coder``: who decided (default: the file's name);
  - optional ``group``, ``document`` or ``session``: the unit examples come in;
  - optional ``id``/``unit_id`` (or ``--id-column``): rows sharing an id are one passage with
    several codes (multi-label gold);
  - optional question column (``--question-column``): what the passage answers.

A decision record says what one coder did to one passage: ``accept`` (the code is right),
``reject`` (the proposed code is wrong), ``recode`` (wrong; the right one is ``code``), or
``code`` (a blind coder's own code). :func:`decision_examples` turns decisions into
:class:`~narratives.models.Example` evidence.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from narratives.codebook.lookup import code_index, find_code
from narratives.codebook.records import NONE_CODE, CoderDecision, DecisionKind
from narratives.errors import InputError
from narratives.models import Codebook, Example
from narratives.safe_files import KIND_NAMES, check_zip, file_kind, read_member
from narratives.spreadsheet import restore

__all__ = [
    "CODE_COLUMNS", "TEXT_COLUMNS", "Columns", "decision_examples", "load_examples", "read_coded_file",
    "read_decisions", "read_table",
]

TEXT_COLUMNS = ("text", "content", "passage", "quote", "segment")
CODE_COLUMNS = ("code", "tag", "theme", "subtheme", "label", "gold")
GROUP_COLUMNS = ("group", "document", "session")
ID_COLUMNS = ("id", "unit_id")
_DECISIONS: dict[str, DecisionKind] = {
    "accept": "accept", "accepted": "accept", "": "accept", "yes": "accept",
    "reject": "reject", "rejected": "reject", "no": "reject",
    "recode": "recode", "recoded": "recode",
}


@dataclass(frozen=True)
class Columns:
    """Column names given by the user (``--text-column`` …); ``None``: found by the usual names."""

    text: str | None = None
    code: str | None = None
    group: str | None = None
    id: str | None = None
    question: str | None = None


def load_examples(path: str | Path, codebook: Codebook) -> tuple[Example, ...]:
    """Coded passages from ``path`` (any format above) as evidence for ``codebook``'s entries.

    Raises:
        InputError: the file is missing or malformed, or a row names an unknown code or
            decision; the message names the file, the row (header = row 1) and the column.
    """
    return tuple(decision_examples(read_coded_file(Path(path), codebook)))


def read_coded_file(
    path: Path, codebook: Codebook, *, strict: bool = True, columns: Columns = Columns(), coder: str | None = None
) -> list[CoderDecision]:
    """Every decision in one file of coded passages, in file order.

    ``strict=False`` (a gold file) keeps codes that are not in the codebook as written and
    drops rows without a passage or a code; ``strict=True`` (examples, decisions) refuses them.

    Raises:
        InputError: naming the file, the row and the column, and what to change.
    """
    if not path.is_file():
        raise InputError(f"{path}: coded file not found; check the path")
    kind = file_kind(path)
    if kind not in (None, "xlsx", "qdpx"):
        raise InputError(
            f"{path}: this is {KIND_NAMES[kind]}, not a file of coders' decisions. Give the filled-in sheet "
            "`narratives export` wrote (.xlsx or .csv), a .qdpx project back from a QDA tool, or a CSV of text and "
            "code" + ("; save a spreadsheet in another format as .xlsx" if kind in ("ods", "ole") else "")
        )
    if kind == "qdpx" or path.suffix.lower() == ".qdpx":
        raise InputError(
            f"{path}: a .qdpx project is matched to the segments of the run it came from; "
            "give it to `narratives agreement --run RUN_DIR`, whose examples.csv is then --examples"
        )
    if kind == "xlsx" or _has_unit_column(path):
        return read_decisions(path, codebook, coder=coder)
    return _read_plain(path, codebook, strict=strict, columns=columns, coder=coder or path.stem)


def _has_unit_column(path: Path) -> bool:
    """A CSV written by ``narratives export`` (it has ``unit_id`` and the ``decision`` or blind ``code`` column)."""
    if path.suffix.lower() != ".csv":
        return False
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        header = {h.strip().lower() for h in next(csv.reader(fh), [])}
    return "unit_id" in header and ("proposed_code" in header or "quote" in header)


def _pick(columns: dict[str, str], wanted: str | None, candidates: tuple[str, ...], what: str, path: Path,
          option: str) -> str | None:
    if wanted is not None:
        if wanted not in columns.values():
            raise InputError(
                f"{path}: row 1: no column '{wanted}' for {option}; columns are: {', '.join(columns.values())}"
            )
        return wanted
    for name in candidates:
        if name in columns:
            return columns[name]
    return None


def _read_plain(path: Path, codebook: Codebook, *, strict: bool, columns: Columns, coder: str) -> list[CoderDecision]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    reader = (
        {restore(k): restore(v) for k, v in record.items()}
        for record in csv.DictReader(io.StringIO(text, newline=""))
    )
    fieldnames = next(csv.reader(io.StringIO(text, newline="")), [])
    header = {restore(c).strip().lower(): restore(c) for c in fieldnames if c}
    text_col = _pick(header, columns.text, TEXT_COLUMNS, "text", path, "--text-column")
    code_col = _pick(header, columns.code, CODE_COLUMNS, "code", path, "--code-column")
    if text_col is None or code_col is None:
        missing = "text (text/content/passage/quote)" if text_col is None else "code (code/tag/theme/label)"
        raise InputError(
            f"{path}: row 1: no {missing} column; columns are: {', '.join(header.values()) or '(none)'}; "
            f"name it with --{'text' if text_col is None else 'code'}-column"
        )
    group_col = _pick(header, columns.group, GROUP_COLUMNS, "group", path, "--group-column")
    id_col = _pick(header, columns.id, ID_COLUMNS, "id", path, "--id-column")
    question_col = _pick(header, columns.question, (), "question", path, "--question-column")
    decision_col, recode_col, coder_col = header.get("decision"), header.get("recode_to"), header.get("coder")
    index = code_index(codebook)

    def code_of(value: str, row: int, column: str) -> str | None:
        value = value.strip()
        if value.lower() == NONE_CODE:
            return NONE_CODE
        found = find_code(index, value)
        if found is None and strict:
            raise InputError(
                f"{path}: row {row}, column '{column}': unknown code '{value}'; use an id or label from "
                f"codebook '{codebook.name}' (ids: {', '.join(e.id for e in codebook.entries)}) or 'none'"
            )
        return found or value or None

    out: list[CoderDecision] = []
    for row, record in enumerate(reader, start=2):
        passage = " ".join((record.get(text_col) or "").split())
        raw_code = (record.get(code_col) or "").strip()
        if not passage or not raw_code:
            if not strict:
                continue
            column = text_col if not passage else code_col
            raise InputError(f"{path}: row {row}, column '{column}': empty; fill it or delete the row")
        code = code_of(raw_code, row, code_col)
        assert code is not None
        raw_decision = (record.get(decision_col) or "").strip().lower() if decision_col else ""
        kind = _DECISIONS.get(raw_decision)
        if kind is None:
            raise InputError(
                f"{path}: row {row}, column '{decision_col}': unknown decision '{raw_decision}'; "
                "use accept, reject or recode"
            )
        final = code
        if kind == "reject":
            final = NONE_CODE
        elif kind == "recode":
            target = (record.get(recode_col) or "").strip() if recode_col else ""
            if not target:
                raise InputError(f"{path}: row {row}, column 'recode_to': a recoded row needs the new code here")
            final = code_of(target, row, recode_col or "recode_to") or target
        unit = (record.get(id_col) or "").strip() if id_col else ""
        out.append(CoderDecision(
            coder=((record.get(coder_col) or "").strip() if coder_col else "") or coder,
            unit_id=unit or _text_unit(passage),
            code=final,
            kind=kind,
            proposed=code,
            source_file=f"{path}:{row}",
            text=passage,
            document=(record.get(group_col) or "").strip() if group_col else "",
            question=(record.get(question_col) or "").strip() if question_col else "",
        ))
    return out


def _text_unit(passage: str) -> str:
    """A unit id for a row without one: the same passage in two coders' files is the same unit."""
    import hashlib

    return "text-" + hashlib.sha256(passage.encode("utf-8")).hexdigest()[:12]


def decision_examples(decisions: Sequence[CoderDecision]) -> list[Example]:
    """Decisions as evidence: a passage is a positive example of the code a coder gave it
    (accepted, recoded to, or chosen blind; :data:`NONE_CODE` when the coder said no code fits:
    rejected without a recode, or a proposal of ``none`` accepted), and a negative example of a
    proposal the coder took away (rejected, or recoded from)."""
    out: list[Example] = []
    for d in decisions:
        text = " ".join(d.text.split())
        if not text:
            continue
        where = d.source_file if ":" in d.source_file else f"{d.source_file}:{d.unit_id}"
        question = d.question or None
        out.append(Example(text, d.code, True, d.document, where, coder=d.coder, question=question))
        if d.proposed and d.proposed != d.code and d.proposed != NONE_CODE:
            out.append(Example(text, d.proposed, False, d.document, where, coder=d.coder, question=question))
    return out


# ------------------------------------------------------------------------------ sheets from `narratives export`


def read_table(path: Path) -> tuple[list[dict[str, str]], dict[str, str]]:
    """Rows of the first sheet (or the CSV) as strings, and the About sheet's key/values."""
    suffix = path.suffix.lower()
    if file_kind(path) != "xlsx":
        if suffix == ".xlsx":
            raise InputError(f"{path}: not an Excel workbook inside, though named .xlsx; save it again as .xlsx")
        if suffix != ".csv":
            raise InputError(f"{path}: unknown decisions format '{suffix}'; give .xlsx, .csv or .qdpx")
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return [{restore(k): restore((v or "").strip()) for k, v in r.items() if k}
                    for r in csv.DictReader(fh)], {}
    from openpyxl import load_workbook

    with check_zip(path) as archive:  # most sheets hold no formula: then nothing more is read for them
        sheets = [n for n in archive.namelist() if n.lower().startswith("xl/worksheets/") and n.endswith(".xml")]
        formulas = any(_FORMULA_TAG.search(read_member(archive, n, path)) for n in sheets)
    handle = path.open("rb")  # a file object: openpyxl judges a path by its suffix, we by its content
    try:
        wb = load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for damaged files
        handle.close()
        raise InputError(f"{path}: cannot read the spreadsheet ({exc}); save it again as .xlsx") from None
    about: dict[str, str] = {}
    try:  # read-only sheets are parsed lazily: a damaged sheet fails here, not in load_workbook
        if not wb.worksheets:
            raise InputError(f"{path}: the workbook has no sheets; give back the file `narratives export` wrote")
        sheet = wb["Quotes"] if "Quotes" in wb.sheetnames else wb.worksheets[0]
        values = [list(row) for row in sheet.iter_rows(values_only=True)]
        if "About" in wb.sheetnames:
            for row in wb["About"].iter_rows(values_only=True):
                if row and row[0] is not None:
                    about[str(row[0])] = "" if len(row) < 2 or row[1] is None else str(row[1])
    except InputError:
        raise
    except Exception as exc:  # malformed sheet XML, bad cell references, ...
        raise InputError(
            f"{path}: a sheet of this workbook is damaged ({type(exc).__name__}: {exc}); open it in a spreadsheet "
            "program and save it again as .xlsx"
        ) from None
    finally:
        wb.close()
        handle.close()
    if not values:
        return [], about
    if formulas:
        _fill_formulas(path, sheet.title, values)
    header = [str(h).strip() if h is not None else "" for h in values[0]]
    rows = [
        {h: ("" if v is None else str(v).strip()) for h, v in zip(header, row, strict=False) if h}
        for row in values[1:]
    ]
    return rows, about


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[ >/]")
_TEXT_FORMULA = re.compile(r'^=\s*"((?:[^"]|"")*)"\s*$')
_REFERENCE = re.compile(r"^=\s*(?:(?:'((?:[^']|'')+)'|([A-Za-z0-9_.]+))!)?\$?([A-Za-z]{1,3})\$?(\d+)\s*$")


def _fill_formulas(path: Path, title: str, values: list[list[Any]]) -> None:
    """Cells holding a formula whose value the file does not store (written by a script, or by a
    program that does not calculate on save) read as empty: a coder's decision would be dropped
    unseen. A text constant (``="accept"``) or a plain reference to another cell (``=Codebook!A5``)
    is worked out here; any other such formula is refused, naming its cells."""
    from openpyxl import load_workbook
    from openpyxl.utils import column_index_from_string, get_column_letter

    with path.open("rb") as fh:
        wb = load_workbook(fh, data_only=False)
    try:
        unknown: list[str] = []
        for r, row in enumerate(wb[title].iter_rows(max_row=len(values)), start=1):
            for c, cell in enumerate(row, start=1):
                if cell.data_type != "f" or c > len(values[r - 1]) or values[r - 1][c - 1] is not None:
                    continue
                formula = str(cell.value)
                text = _TEXT_FORMULA.match(formula)
                ref = _REFERENCE.match(formula)
                if text:
                    values[r - 1][c - 1] = text.group(1).replace('""', '"')
                    continue
                if ref:
                    name = (ref.group(1) or "").replace("''", "'") or ref.group(2) or title
                    target = wb[name].cell(int(ref.group(4)), column_index_from_string(ref.group(3).upper())) \
                        if name in wb.sheetnames else None
                    if target is not None and target.data_type != "f":
                        values[r - 1][c - 1] = target.value
                        continue
                unknown.append(f"{get_column_letter(c)}{r} ({formula[:40]})")
    finally:
        wb.close()
    if unknown:
        shown = ", ".join(unknown[:6]) + (f" and {len(unknown) - 6} more" if len(unknown) > 6 else "")
        raise InputError(
            f"{path}: {len(unknown)} cell(s) hold a formula whose value the file does not store: {shown}. Reading "
            "them as empty would drop those decisions, so nothing was read. Open the file in Excel or LibreOffice "
            "and save it (that stores the values), or type the decisions in as text"
        )


_SHEET_COLUMNS = ("unit_id", "document", "quote", "proposed_code", "decision", "recode_to", "code", "comment")


def _known_columns(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The export's column names back where a spreadsheet program or a coder changed only their case or
    spacing ("Decision", "Recode to")."""
    if not rows:
        return rows
    rename = {}
    for header in rows[0]:
        key = "_".join(header.strip().lower().replace("-", " ").split())
        if key in _SHEET_COLUMNS and header != key and key not in rows[0]:
            rename[header] = key
    return [{rename.get(k, k): v for k, v in row.items()} for row in rows] if rename else rows


def read_decisions(path: Path, codebook: Codebook, coder: str | None = None) -> list[CoderDecision]:
    """A filled-in spreadsheet or CSV as decisions; blank rows (not yet judged) are skipped.

    The coder is ``coder``, else the About sheet's ``coder``, else the file name. An
    unknown decision or code raises :class:`InputError` naming the row and the fix.
    """
    rows, about = read_table(path)
    rows = _known_columns(rows)
    who = coder or about.get("coder") or path.stem
    index = code_index(codebook)
    if rows and "unit_id" not in rows[0]:
        raise InputError(f"{path}: no 'unit_id' column; give back the file `narratives export` wrote")
    if rows and "decision" not in rows[0] and "code" not in rows[0]:
        wanted = "'decision' (and 'recode_to')" if "proposed_code" in rows[0] else "'code'"
        near = [h for h in rows[0] if "decision" in h.lower() or h.strip().lower().startswith("code")]
        hint = f"'{near[0]}' looks like it: rename it" if near else "if it was renamed, name it"
        raise InputError(
            f"{path}: no {wanted} column, so no decision can be read; the columns are: {', '.join(rows[0])}. "
            f"{hint[0].upper()}{hint[1:]} {wanted} again"
        )

    def code_of(value: str, row_no: int, column: str) -> str:
        if value.lower() == NONE_CODE:
            return NONE_CODE
        found = find_code(index, value)
        if found is None:
            raise InputError(
                f"{path}: row {row_no}: {column} '{value}' is not a codebook id; use one from the Codebook sheet"
            )
        return found

    out: list[CoderDecision] = []
    for n, row in enumerate(rows, start=2):
        unit = row.get("unit_id", "")
        if not unit:
            continue
        comment = row.get("comment", "")
        proposed = row.get("proposed_code", "")
        if "decision" not in row:  # blind file
            if not row.get("code"):
                continue
            out.append(CoderDecision(who, unit, code_of(row["code"], n, "code"), "code", "", comment, str(path),
                                     row.get("quote", ""), row.get("document", "")))
            continue
        decision = row.get("decision", "").lower()
        recode = row.get("recode_to", "")
        if not decision:
            if recode:
                decision = "recode"
            else:
                continue
        kind: DecisionKind
        if decision in ("accept", "accepted", "yes", "y"):
            kind, code = "accept", code_of(proposed, n, "proposed_code")
        elif decision in ("reject", "rejected", "no", "n"):
            if not recode and proposed.lower() == NONE_CODE:
                raise InputError(
                    f"{path}: row {n}: rejecting the proposal 'none' says a code fits; choose it in recode_to"
                )
            kind, code = ("recode", code_of(recode, n, "recode_to")) if recode else ("reject", NONE_CODE)
        elif decision in ("recode", "recoded"):
            if not recode:
                raise InputError(f"{path}: row {n}: decision is 'recode' but recode_to is empty; pick the right code")
            kind, code = "recode", code_of(recode, n, "recode_to")
        else:
            raise InputError(f"{path}: row {n}: decision '{row['decision']}' is not one of accept, reject, recode")
        out.append(CoderDecision(who, unit, code, kind, code_of(proposed, n, "proposed_code") if proposed else "",
                                 comment, str(path), row.get("quote", ""), row.get("document", "")))
    return out

