"""A participants table as papers keep it ("Table 1"), joined to speakers by id: focus groups
get one row per speaker, unmatched rows and speakers are listed, nothing needs a file column."""

from __future__ import annotations

from pathlib import Path

import pytest

from narratives.errors import ManifestError
from narratives.loaders import load_corpus
from narratives.loaders.participants import participant_key, read_participants

TABLE = (
    "Participant,Gender,Specialty,Country,Years abroad\n"
    "P1,female,cardiology,UK,6\n"
    "P2,male,surgery,Canada,3\n"
    "Participant 3,female,paediatrics,Canada,9\n"
    "P04,male,psychiatry,UK,1\n"
    "P9,female,oncology,Oman,2\n"
)


def _corpus(folder: Path) -> Path:
    folder.mkdir()
    (folder / "int-01.txt").write_text(
        "Interviewer: Why did you leave?\n\nP1: The salary did not cover the rent in Lahore, so I left.\n")
    (folder / "focus-group.txt").write_text(
        "Moderator: What would bring you back?\n\nP2: A training programme that is fair and paid on time.\n\n"
        "P3: My mother, and a hospital where the night shift has a senior doctor.\n\n"
        "P2: Nothing while the promotions go to whoever knows the principal.\n")
    (folder / "int-04.txt").write_text(
        "Interviewer: And the exams?\n\nParticipant 4: The licensing exams cost me all my savings.\n")
    (folder / "int-05.txt").write_text(
        "Interviewer: Tell me about the ward.\n\nAyesha Malik: We had no gloves and no working ventilator.\n\n"
        "Interviewer: And then?\n\nAyesha Malik: Then I applied abroad.\n")
    return folder


def test_ids_are_compared_the_way_people_write_them() -> None:
    assert {participant_key(x) for x in ("P5", "p 5", "P05", "Participant 5", "participant #5", "Respondent 5")} == {
        "p5"}
    assert participant_key("Ayesha  Malik") == "ayeshamalik"


def test_attributes_join_per_speaker_and_what_matches_nothing_is_listed(tmp_path: Path) -> None:
    folder = _corpus(tmp_path / "corpus")
    (tmp_path / "table1.csv").write_text(TABLE)
    corpus = load_corpus([folder], participants=tmp_path / "table1.csv")
    assert dict(corpus.speaker_ids) == {
        ("int-01", "P1"): "P1", ("focus-group", "P2"): "P2", ("focus-group", "P3"): "Participant 3",
        ("int-04", "Participant 4"): "P04",
    }
    group = next(d for d in corpus.documents if d.doc_id == "focus-group")
    assert corpus.speaker_metadata(group, "P2")["Country"] == "Canada"
    assert corpus.speaker_metadata(group, "P3")["Specialty"] == "paediatrics"
    assert corpus.speaker_metadata(group, "Moderator") == {}
    summary, rows, speakers = corpus.warnings
    assert "4 of 5 participants matched 4 speaker(s)" in summary
    assert "P9" in rows and "Ayesha Malik (int-05)" in speakers
    assert corpus.participants_source == str(tmp_path / "table1.csv")


def test_a_manifest_without_a_file_column_is_a_participants_table(tmp_path: Path) -> None:
    folder = _corpus(tmp_path / "corpus")
    (tmp_path / "manifest.csv").write_text(TABLE)
    corpus = load_corpus([folder], manifest=tmp_path / "manifest.csv")
    assert corpus.speaker_ids[("int-01", "P1")] == "P1"


def test_a_manifest_participant_names_the_one_speaker_of_a_transcript(tmp_path: Path) -> None:
    folder = _corpus(tmp_path / "corpus")
    (folder / "manifest.csv").write_text("file,participant\nint-05.txt,P9\n")
    (tmp_path / "table1.csv").write_text(TABLE)
    corpus = load_corpus([folder], manifest=folder / "manifest.csv", participants=tmp_path / "table1.csv")
    assert corpus.speaker_ids[("int-05", "Ayesha Malik")] == "P9"
    ward = next(d for d in corpus.documents if d.doc_id == "int-05")
    assert corpus.speaker_metadata(ward, "Ayesha Malik")["Country"] == "Oman"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("gender,country\nfemale,UK\n", "no participant id column"),
        ("participant,country\nP1,UK\np 1,Canada\n", "already listed"),
    ],
)
def test_a_table_that_cannot_be_joined_is_refused_with_the_fix(tmp_path: Path, table: str, message: str) -> None:
    path = tmp_path / "table.csv"
    path.write_text(table)
    with pytest.raises(ManifestError, match=message) as caught:
        read_participants(path)
    assert str(path) in str(caught.value)


def test_an_xlsx_table_works_like_a_csv(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [line.split(",") for line in TABLE.strip().splitlines()]:
        sheet.append([int(v) if v.isdigit() else v for v in row])
    book.save(tmp_path / "table1.xlsx")
    table = read_participants(tmp_path / "table1.xlsx")
    assert table.attributes_by_id()["P2"] == {"Gender": "male", "Specialty": "surgery", "Country": "Canada",
                                              "Years abroad": "3"}
