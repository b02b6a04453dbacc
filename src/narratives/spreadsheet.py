"""Cells that a spreadsheet program shows as text, never runs as a formula.

Transcripts, manifests and codebooks come from other people. A cell starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel and LibreOffice when
they open a CSV, so every CSV the toolkit writes prefixes such text with an apostrophe
(the OWASP CSV-injection rule) and every CSV it reads back takes the apostrophe off
again; the pair is exact, so a passage survives the round trip letter for letter. In an
``.xlsx`` such text is stored as a string cell with Excel's quote prefix (shown exactly,
not evaluated), and control characters an ``.xlsx`` cannot hold become U+FFFD.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "csv_row",
    "neutralise",
    "read_csv_frame",
    "restore",
    "restore_frame",
    "set_xlsx_cell",
    "write_csv_frame",
    "write_xlsx_rows",
    "xlsx_text",
]

_TRIGGERS = "=+\\-@\t\r"
_NEEDS_PREFIX = re.compile(f"^(?:[{_TRIGGERS}]|'[{_TRIGGERS}'])")
_HAS_PREFIX = re.compile(f"^'[{_TRIGGERS}']")
_NOT_IN_XLSX = re.compile(r"[\000-\010\013\014\016-\037]")


def neutralise(value: Any) -> Any:
    """``value`` as a CSV cell: text a spreadsheet would run gets a leading apostrophe."""
    if isinstance(value, str) and _NEEDS_PREFIX.match(value):
        return "'" + value
    return value


def restore(value: Any) -> Any:
    """The text :func:`neutralise` was given (also for cells a coder typed ``'=`` into)."""
    if isinstance(value, str) and _HAS_PREFIX.match(value):
        return value[1:]
    return value


def csv_row(row: Iterable[Any]) -> list[Any]:
    """One row for :mod:`csv` writers, neutralised."""
    return [neutralise(v) for v in row]


def _is_text(series: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype)


def _map_text(series: pd.Series, pattern: re.Pattern[str], change: str) -> pd.Series:
    if not _is_text(series):
        return series
    try:
        hit = series.str.match(pattern.pattern).fillna(False).astype(bool)
    except AttributeError:  # an object column without any text
        return series
    if not hit.any():
        return series
    changed = ("'" + series[hit]) if change == "add" else series[hit].str[1:]
    out = series.copy()
    out[hit] = changed
    return out


def _map_frame(frame: pd.DataFrame, pattern: re.Pattern[str], change: str) -> pd.DataFrame:
    columns = {c: _map_text(frame[c], pattern, change) for c in frame.columns if _is_text(frame[c])}
    out = frame.assign(**{str(c): s for c, s in columns.items()}) if columns else frame
    if len(out.index) and isinstance(out.index[0], str):
        out = out.set_axis(_map_text(pd.Series(out.index, dtype=object), pattern, change).to_numpy(), axis=0)
    return out


def write_csv_frame(frame: pd.DataFrame, path: Path, **kwargs: Any) -> Path:
    """``frame.to_csv(path, **kwargs)`` with every text cell (and text index) neutralised.

    Rows end in CRLF, as RFC 4180 and spreadsheet programs expect; that also makes the
    writer quote a cell holding a lone carriage return, which would otherwise end the row."""
    columns = [str(c) for c in frame.columns]
    safe = _map_frame(frame, _NEEDS_PREFIX, "add")
    safe.columns = [neutralise(c) for c in columns]
    safe.to_csv(path, **{"lineterminator": "\r\n", **kwargs})
    return path


def restore_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame read from a CSV the toolkit wrote, with the apostrophes taken off."""
    out = _map_frame(frame, _HAS_PREFIX, "remove")
    out.columns = [restore(c) for c in out.columns]
    return out


def read_csv_frame(path: Path, **kwargs: Any) -> pd.DataFrame:
    """``pandas.read_csv`` followed by :func:`restore_frame`."""
    return restore_frame(pd.read_csv(path, **kwargs))


def xlsx_text(value: str) -> str:
    """Text an ``.xlsx`` can hold: control characters other than tab and newlines become U+FFFD."""
    return _NOT_IN_XLSX.sub("\ufffd", value)


def set_xlsx_cell(sheet: Any, row: int, column: int, value: Any) -> Any:
    """Write ``value`` into an openpyxl sheet; text is always a string cell, never a formula."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        text = xlsx_text(value)
        cell.value = text
        cell.data_type = "s"
        if _NEEDS_PREFIX.match(text):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def write_xlsx_rows(sheet: Any, rows: Iterable[Sequence[Any]], *, first_row: int = 1) -> int:
    """Write ``rows`` from ``first_row`` on through :func:`set_xlsx_cell`; returns the next free row."""
    row = first_row
    for values in rows:
        for column, value in enumerate(values, start=1):
            set_xlsx_cell(sheet, row, column, value)
        row += 1
    return row
