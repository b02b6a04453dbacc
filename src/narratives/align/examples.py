"""Read a coder's coded passages (accepted, rejected or recoded) as :class:`Example` records.

CSV (UTF-8, header row):

- the passage: ``text``, ``content``, ``passage`` or ``quote`` column;
- the code: ``code``, ``tag``, ``theme``, ``subtheme`` or ``label`` column, holding a
  codebook entry's id or label (matched case-insensitively, also by slug);
- optional ``decision``: ``accept`` (default when empty), ``reject`` or ``recode``;
  ``recode`` needs ``recode_to`` and gives an accepted example of ``recode_to`` and a
  rejected example of the original code;
- optional ``group`` or ``document`` column: the unit examples come in (a session or
  document), used to hold whole groups out when calibrating.

A coders' decision file from ``narratives export`` (``.xlsx``, or a CSV with a
``unit_id`` column) is read with :func:`narratives.coders.sheets.read_decisions`: rows not
yet judged are skipped, accepted and recoded quotes are positive examples, and a
rejected proposal is a negative example of the proposed code.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from narratives.align.codebook import code_index, find_code
from narratives.errors import InputError
from narratives.models import Codebook, Example

__all__ = ["load_examples"]

_TEXT = ("text", "content", "passage", "quote")
_CODE = ("code", "tag", "theme", "subtheme", "label")
_GROUP = ("group", "document", "session")
_DECISIONS = {"accept": "accept", "accepted": "accept", "": "accept", "reject": "reject",
              "rejected": "reject", "recode": "recode", "recoded": "recode"}


def _column(columns: dict[str, str], candidates: tuple[str, ...]) -> str | None:
    for name in candidates:
        if name in columns:
            return columns[name]
    return None


def load_examples(path: str | Path, codebook: Codebook) -> tuple[Example, ...]:
    """Coded passages from ``path`` as examples for ``codebook``'s entries.

    Raises:
        InputError: the file is missing or malformed, or a row names an unknown code or
            decision; the message names the file, the row (as numbered in a spreadsheet,
            header = row 1) and the column.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: examples file not found; check the path")
    if p.suffix.lower() == ".xlsx" or _is_decision_csv(p):
        from narratives.coders.sheets import decision_examples, read_decisions

        return tuple(decision_examples(read_decisions(p, codebook)))
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = {c.strip().lower(): c for c in (reader.fieldnames or [])}
    text_col = _column(columns, _TEXT)
    code_col = _column(columns, _CODE)
    if text_col is None or code_col is None:
        missing = "text (text/content/passage/quote)" if text_col is None else "code (code/tag/theme/label)"
        raise InputError(
            f"{p}: row 1: no {missing} column; columns are: {', '.join(columns.values()) or '(none)'}"
        )
    decision_col = columns.get("decision")
    recode_col = columns.get("recode_to")
    group_col = _column(columns, _GROUP)
    index = code_index(codebook)

    def code_of(value: str, row: int, column: str) -> str:
        found = find_code(index, value)
        if found is None:
            raise InputError(
                f"{p}: row {row}, column '{column}': unknown code '{value.strip()}'; use an id or "
                f"label from codebook '{codebook.name}' (ids: {', '.join(e.id for e in codebook.entries)})"
            )
        return found

    out: list[Example] = []
    for row, record in enumerate(reader, start=2):
        passage = " ".join((record.get(text_col) or "").split())
        if not passage:
            raise InputError(f"{p}: row {row}, column '{text_col}': empty passage; fill it or delete the row")
        code = code_of(record.get(code_col) or "", row, code_col)
        raw_decision = (record.get(decision_col) or "").strip().lower() if decision_col else ""
        decision = _DECISIONS.get(raw_decision)
        if decision is None:
            raise InputError(
                f"{p}: row {row}, column '{decision_col}': unknown decision '{raw_decision}'; "
                "use accept, reject or recode"
            )
        group = (record.get(group_col) or "").strip() if group_col else ""
        source = f"{p}:{row}"
        if decision == "accept":
            out.append(Example(passage, code, True, group, source))
        elif decision == "reject":
            out.append(Example(passage, code, False, group, source))
        else:
            target = (record.get(recode_col) or "").strip() if recode_col else ""
            if not target:
                raise InputError(
                    f"{p}: row {row}, column 'recode_to': a recoded row needs the new code in 'recode_to'"
                )
            out.append(Example(passage, code_of(target, row, recode_col or "recode_to"), True, group, source))
            out.append(Example(passage, code, False, group, source))
    return tuple(out)


def _is_decision_csv(path: Path) -> bool:
    """A CSV written by ``narratives export`` (it has a ``unit_id`` column)."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        header = next(csv.reader(fh), [])
    return "unit_id" in {h.strip().lower() for h in header}
