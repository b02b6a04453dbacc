"""The one reader of coded passages: plain CSVs into decisions and Example records."""

from __future__ import annotations

from pathlib import Path

import pytest

from narratives.codebook.coded import load_examples
from narratives.errors import InputError
from narratives.models import Codebook, Example, Theme

CB = Codebook(
    name="cb",
    entries=(
        Theme("pay", "Salary inadequacy", "pay"),
        Theme("exams", "Credentialing barriers", "exams"),
    ),
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "coded.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_ids_labels_decisions_and_groups(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "content,tag,decision,recode_to,document\n"
        "my pay is low,Salary inadequacy,,,P1\n"
        "plab again,exams,accept,,P1\n"
        "fees,pay,reject,,P2\n"
        "usmle fees,pay,recode,credentialing-barriers,P2\n",
    )
    out = load_examples(path, CB)
    assert [(e.code, e.accepted, e.group) for e in out] == [
        ("pay", True, "P1"),
        ("exams", True, "P1"),
        ("none", True, "P2"),  # rejected with no recode: no code fits
        ("pay", False, "P2"),
        ("exams", True, "P2"),
        ("pay", False, "P2"),
    ]
    assert isinstance(out[0], Example) and out[0].source.endswith(":2")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("text,code\nhello,nosuch\n", "row 2, column 'code': unknown code 'nosuch'"),
        ("text,code,decision\nhello,pay,maybe\n", "row 2, column 'decision': unknown decision"),
        ("text,code,decision\nhello,pay,recode\n", "row 2, column 'recode_to'"),
        ("text,code\nok,pay\n,pay\n", "row 3, column 'text': empty"),
        ("words,code\nhello,pay\n", "row 1: no text"),
    ],
)
def test_errors_name_file_row_and_column(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_examples(path, CB)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_examples(tmp_path / "none.csv", CB)
