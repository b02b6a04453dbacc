"""What changed against the run a new run replaces."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from narratives.errors import InputError
from narratives.reports.changes import compare_with


def _frame(themes: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame({
        "segment_id": [f"d:s{i:04d}" for i in range(len(themes))], "text": [f"text {i}" for i in range(len(themes))],
        "theme": [t for t, _ in themes], "subtheme": [s for _, s in themes], "status": "coded",
    })


def test_counts_and_lists_moved_segments(tmp_path: Path) -> None:
    old = _frame([("pay", "salary"), ("pay", "salary"), ("exams", ""), ("unassigned", "")])
    old.to_csv(tmp_path / "segments.csv", index=False)
    new = _frame([("pay", "pension"), ("exams", ""), ("exams", ""), ("pay", "salary")])
    changes = compare_with(new, tmp_path)
    assert (changes.compared, changes.theme_moved, changes.subtheme_moved) == (4, 2, 1)
    assert {(m["segment_id"], m["from"], m["to"]) for m in changes.moves} == {
        ("d:s0000", "pay", "pay"), ("d:s0001", "pay", "exams"), ("d:s0003", "unassigned", "pay")}
    by = {row["theme"]: row for row in changes.by_theme}
    assert (by["exams"]["before"], by["exams"]["after"], by["exams"]["gained"]) == (1, 2, 1)
    assert "2 of 4 coded segments changed theme" in changes.headline()


def test_a_folder_without_segments_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no segments\.csv"):
        compare_with(_frame([("pay", "")]), tmp_path)
