"""Spreadsheets for coders (``.xlsx`` and ``.csv``); :mod:`narratives.codebook.coded` reads them back filled in.

A coder gets one row per candidate quote: its context, source, speaker and attributes,
the proposed code and score, and three columns to fill: ``decision`` (accept / reject /
recode, a drop-down), ``recode_to`` (a drop-down of codebook ids) and ``comment``. In a
blind file the proposal and score are left out and the coder fills ``code`` (a drop-down
of codebook ids and ``none``) instead. A second sheet lists the codebook's definitions,
a third says what the file is and how to fill it.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from narratives.codebook.records import NONE_CODE
from narratives.coders.records import Candidate
from narratives.models import Codebook
from narratives.prevalence.records import RandomSample
from narratives.spreadsheet import csv_row, write_xlsx_rows

__all__ = ["DECISIONS", "coder_order", "sheet_rows", "write_csv", "write_xlsx"]

DECISIONS = ("accept", "reject", "recode")
NONE_LABEL = "None of the codebook"
_ATTRIBUTE_LIMIT = 6


def coder_order(units: Sequence[Candidate], coder: str | None, seed: int) -> list[Candidate]:
    """Units in document order, or shuffled for ``coder`` (the same shuffle for the same seed)."""
    if coder is None:
        return list(units)
    order = list(units)
    random.Random(f"{seed}:{coder}").shuffle(order)
    return order


def _attributes(units: Sequence[Candidate]) -> list[str]:
    keys = sorted({k for u in units for k, v in u.metadata.items() if v})
    return keys[:_ATTRIBUTE_LIMIT]


def sheet_rows(units: Sequence[Candidate], codebook: Codebook, *, blind: bool,
               sample: RandomSample | None = None) -> tuple[list[str], list[list[Any]]]:
    """Header and rows shared by the CSV and the spreadsheet; a random sample's record in a last
    ``sample`` column of every row."""
    attrs = _attributes(units)
    header = ["unit_id", "document", "source", "speaker", *attrs, "context_before", "quote", "context_after"]
    if blind:
        header += ["code", "comment"]
    else:
        header += ["proposed_code", "proposed_label", "score", "decision", "recode_to", "comment"]
    rows: list[list[Any]] = []
    for u in units:
        row: list[Any] = [u.unit_id, u.doc_id, f"{u.source} [{u.start}:{u.end}]", u.speaker]
        row += [u.metadata.get(a, "") for a in attrs]
        row += [u.context_before, u.text, u.context_after]
        if blind:
            row += ["", ""]
        else:
            label = NONE_LABEL if u.code == NONE_CODE else codebook.get(u.code).label
            row += [u.code, label, round(u.score, 3), "", "", ""]
        if sample is not None:
            row.append(str(sample))
        rows.append(row)
    if sample is not None:
        header.append("sample")
    return header, rows


def write_csv(path: Path, units: Sequence[Candidate], codebook: Codebook, *, blind: bool,
              sample: RandomSample | None = None) -> Path:
    """Plain CSV (UTF-8 with a byte-order mark, so spreadsheet programs read accents right)."""
    header, rows = sheet_rows(units, codebook, blind=blind, sample=sample)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(csv_row(header))
        writer.writerows(csv_row(r) for r in rows)
    return path


def write_xlsx(
    path: Path, units: Sequence[Candidate], codebook: Codebook, *, blind: bool, about: dict[str, str],
    sample: RandomSample | None = None,
) -> Path:
    """An ``.xlsx`` with drop-downs, frozen header, widths and wrapped text."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    header, rows = sheet_rows(units, codebook, blind=blind, sample=sample)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Quotes"
    write_xlsx_rows(ws, [header, *rows])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="FFF2CC")
    wrap = Alignment(wrap_text=True, vertical="top")
    widths = {"unit_id": 18, "document": 12, "source": 30, "speaker": 10, "context_before": 40, "quote": 60,
              "context_after": 40, "proposed_code": 24, "proposed_label": 28, "score": 8, "decision": 12,
              "recode_to": 26, "code": 26, "comment": 36}
    to_fill = {"decision", "recode_to", "code", "comment"}
    for col, name in enumerate(header, start=1):
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = widths.get(name, 14)
        cell = ws.cell(row=1, column=col)
        cell.font = bold
        if name in to_fill:
            cell.fill = fill
        for r in range(2, len(rows) + 2):
            ws.cell(row=r, column=col).alignment = wrap
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions

    cb = wb.create_sheet("Codebook")
    write_xlsx_rows(cb, [
        ["id", "level", "label", "definition", "include", "exclude", "keywords"],
        *([e.id, "theme" if e.parent is None else f"subtheme of {e.parent}", e.label, e.definition,
           e.include, e.exclude, ", ".join(e.keywords)] for e in codebook.entries),
        [NONE_CODE, "", NONE_LABEL, "The quote fits no code in this codebook.", "", "", ""],
    ])
    for letter, width in zip("ABCDEFG", (30, 34, 34, 70, 40, 40, 30), strict=True):
        cb.column_dimensions[letter].width = width
    for row_cells in cb.iter_rows(min_row=1):
        for cell in row_cells:
            cell.alignment = wrap
    for cell in cb[1]:
        cell.font = bold
    cb.freeze_panes = "A2"

    last = len(rows) + 1
    ids = f"Codebook!$A$2:$A${len(codebook.entries) + 2}"  # + the 'none' row
    if blind:
        col = get_column_letter(header.index("code") + 1)
        dv = DataValidation(type="list", formula1=ids, allow_blank=True, showErrorMessage=True,
                            errorTitle="Unknown code", error="Choose a code id from the Codebook sheet (or none).")
        ws.add_data_validation(dv)
        dv.add(f"{col}2:{col}{last}")
    else:
        dcol = get_column_letter(header.index("decision") + 1)
        rcol = get_column_letter(header.index("recode_to") + 1)
        dv = DataValidation(type="list", formula1='"' + ",".join(DECISIONS) + '"', allow_blank=True,
                            showErrorMessage=True, errorTitle="Decision", error="Choose accept, reject or recode.")
        rv = DataValidation(type="list", formula1=ids, allow_blank=True, showErrorMessage=True,
                            errorTitle="Unknown code", error="Choose a code id from the Codebook sheet.")
        ws.add_data_validation(dv)
        ws.add_data_validation(rv)
        dv.add(f"{dcol}2:{dcol}{last}")
        rv.add(f"{rcol}2:{rcol}{last}")

    info = wb.create_sheet("About")
    write_xlsx_rows(info, [[key, value] for key, value in about.items()])
    info.column_dimensions["A"].width = 18
    info.column_dimensions["B"].width = 110
    for row_cells in info.iter_rows():
        row_cells[0].font = bold
        row_cells[1].alignment = wrap
    wb.save(path)
    return path
