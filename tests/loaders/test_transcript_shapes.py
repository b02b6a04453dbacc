"""Transcripts as services and QDA users write them: each shape gives the right speakers,
roles and offsets. The transcripts are fictional and written for these tests."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from narratives.loaders import load_corpus
from narratives.loaders.document import load_document

QUESTION = "What made you decide to leave Lahore?"
ANSWER = "The salary did not cover the rent, and the night shifts had no senior cover."
FOLLOW_UP = "And your family?"
SECOND = "My mother still asks when I will come home, and I feel guilty every single day."

SHAPES = {
    "otter": (f"Interviewer  0:02\n{QUESTION}\n\nAyesha Malik  0:09\n{ANSWER}\n\n"
              f"Interviewer  0:31\n{FOLLOW_UP}\n\nAyesha Malik  0:35\n{SECOND}\n"),
    "zoom": (f"[Interviewer] 10:01:02\n{QUESTION}\n[Ayesha Malik] 10:01:09\n{ANSWER}\n"
             f"[Interviewer] 10:01:31\n{FOLLOW_UP}\n[Ayesha Malik] 10:01:35\n{SECOND}\n"),
    "rev": (f"Interviewer (00:00:02):\n{QUESTION}\n\nAyesha Malik (00:00:09):\n{ANSWER}\n\n"
            f"Interviewer (00:00:31):\n{FOLLOW_UP}\n\nAyesha Malik (00:00:35):\n{SECOND}\n"),
    "rev-inline": (f"Interviewer (00:00:02): {QUESTION}\n\nAyesha Malik (00:00:09): {ANSWER}\n\n"
                   f"Interviewer (00:00:31): {FOLLOW_UP}\n\nAyesha Malik (00:00:35): {SECOND}\n"),
}


def _turns(document) -> list[tuple[str | None, str | None, str]]:  # type: ignore[no-untyped-def]
    return [(b.speaker, b.role, document.text[b.start:b.end]) for b in document.blocks if b.kind == "turn"]


EXPECTED = [
    ("Interviewer", "interviewer", QUESTION), ("Ayesha Malik", "participant", ANSWER),
    ("Interviewer", "interviewer", FOLLOW_UP), ("Ayesha Malik", "participant", SECOND),
]


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_service_transcripts_give_speakers_roles_and_offsets(tmp_path: Path, shape: str) -> None:
    path = tmp_path / f"{shape}.txt"
    path.write_text(SHAPES[shape])
    document = load_document(path)
    assert document.kind == "transcript"
    assert _turns(document) == EXPECTED


def test_teams_word_download_with_name_and_time_lines(tmp_path: Path) -> None:
    book = docx.Document()
    for speaker, time, said in (("Interviewer", "0:02", QUESTION), ("Ayesha Malik", "0:09", ANSWER),
                                ("Interviewer", "0:31", FOLLOW_UP), ("Ayesha Malik", "0:35", SECOND)):
        book.add_paragraph(f"{speaker}   {time}")
        book.add_paragraph(said)
    book.save(tmp_path / "teams.docx")
    assert _turns(load_document(tmp_path / "teams.docx")) == EXPECTED


@pytest.mark.parametrize("columns", [("speaker", "text"), ("time", "speaker", "text"), ("speaker", "time", "text")])
def test_word_transcript_kept_as_a_table(tmp_path: Path, columns: tuple[str, ...]) -> None:
    book = docx.Document()
    book.add_paragraph("Interview 7, Leeds, March 2025")
    rows = [("Interviewer", "00:02", QUESTION), ("P7", "00:09", ANSWER), ("Interviewer", "00:31", FOLLOW_UP),
            ("P7", "00:35", SECOND)]
    table = book.add_table(rows=len(rows) + 1, cols=len(columns))
    for i, name in enumerate(columns):
        table.cell(0, i).text = name.capitalize()
    for r, (speaker, time, said) in enumerate(rows, start=1):
        values = {"speaker": speaker, "time": time, "text": said}
        for i, name in enumerate(columns):
            table.cell(r, i).text = values[name]
    book.save(tmp_path / "table.docx")
    document = load_document(tmp_path / "table.docx")
    assert document.kind == "transcript"
    assert _turns(document) == [
        ("Interviewer", "interviewer", QUESTION), ("P7", "participant", ANSWER),
        ("Interviewer", "interviewer", FOLLOW_UP), ("P7", "participant", SECOND),
    ]


def test_a_table_that_is_not_a_transcript_stays_prose(tmp_path: Path) -> None:
    book = docx.Document()
    table = book.add_table(rows=3, cols=2)
    for r, (country, doctors) in enumerate((("Country", "Doctors"), ("United Kingdom", "1,204"),
                                            ("Canada", "388"))):
        table.cell(r, 0).text, table.cell(r, 1).text = country, doctors
    book.add_paragraph("Most of the doctors who left in 2023 went to the United Kingdom.")
    book.save(tmp_path / "figures.docx")
    document = load_document(tmp_path / "figures.docx")
    assert document.kind != "transcript" and "1,204" in document.text


def test_one_question_and_one_answer_is_an_interview(tmp_path: Path) -> None:
    path = tmp_path / "p3.txt"
    path.write_text(f"Interviewer: {QUESTION}\n\nP3: {ANSWER}\n")
    assert _turns(load_document(path)) == [("Interviewer", "interviewer", QUESTION), ("P3", "participant", ANSWER)]


def test_single_answer_files_in_a_corpus_of_transcripts_are_transcripts(tmp_path: Path) -> None:
    folder = tmp_path / "interviews"
    folder.mkdir()
    for n in (1, 2):
        (folder / f"full-{n}.txt").write_text(SHAPES["rev-inline"])
    for n in (3, 4, 5):
        (folder / f"answer-{n}.txt").write_text(f"{QUESTION}\n\nP{n}: {ANSWER}\n")
    (folder / "field-notes.txt").write_text("Notes after the interviews. " + SECOND + "\n")
    corpus = load_corpus([folder])
    kinds = {d.doc_id: d.kind for d in corpus.documents}
    assert kinds == {"answer-3": "transcript", "answer-4": "transcript", "answer-5": "transcript",
                     "full-1": "transcript", "full-2": "transcript", "field-notes": "other"}
    answer = next(d for d in corpus.documents if d.doc_id == "answer-4")
    assert _turns(answer) == [("P4", "participant", ANSWER)]  # the label is out of the coded text
    reread, unsure = corpus.warnings
    assert "3 file(s)" in reread and "answer-3" in reread
    assert "field-notes" in unsure and "kind in the manifest" in unsure


NVIVO_TURNS = [("Speaker 1", QUESTION), ("Speaker 2", ANSWER), ("Speaker 1", FOLLOW_UP), ("Speaker 2", SECOND)]
SPANS = ["0:00:00.0 - 0:00:06.9", "0:00:07.0 - 0:00:30.9", "0:00:31.0 - 0:00:34.9", "0:00:35.0 - 0:00:52.0"]
ASKED = [("Speaker 1", "interviewer", QUESTION), ("Speaker 2", "participant", ANSWER),
         ("Speaker 1", "interviewer", FOLLOW_UP), ("Speaker 2", "participant", SECOND)]
NVIVO_TEXT = {
    # NVivo Transcription's text export: the start time and the speaker, the words on the next line
    "transcription-txt": "".join(f"{span[:7].rjust(8, '0')} {who}\n{said}\n\n"
                                 for span, (who, said) in zip(SPANS, NVIVO_TURNS, strict=True)),
    # NVivo's import table saved as text: timespan, speaker and content joined by tabs, or by commas
    "tab-separated": "".join(f"{span}\t{who}\t{said}\n" for span, (who, said) in zip(SPANS, NVIVO_TURNS, strict=True)),
    "comma-separated": "".join(f"{span},{who},{said}\n" for span, (who, said) in zip(SPANS, NVIVO_TURNS, strict=True)),
}


@pytest.mark.parametrize("shape", sorted(NVIVO_TEXT))
def test_nvivo_text_shapes_are_transcripts_with_the_interviewer_found(tmp_path: Path, shape: str) -> None:
    """Read as 'other' before: the interviewer's questions were coded as data, without a word."""
    path = tmp_path / f"{shape}.txt"
    path.write_text(NVIVO_TEXT[shape])
    document = load_document(path)
    assert document.kind == "transcript"
    assert _turns(document) == ASKED
    assert [b.timestamp for b in document.blocks if b.kind == "turn"] == [
        s.split(" - ")[0] if shape != "transcription-txt" else s[:7].rjust(8, "0") for s in SPANS]


@pytest.mark.parametrize("order", [("Timespan", "Content", "Speaker"), ("#", "Timespan", "Speaker", "Content")])
def test_nvivo_transcription_word_table_is_a_transcript(tmp_path: Path, order: tuple[str, ...]) -> None:
    """NVivo Transcription's Word export (Timespan | Content | Speaker) came out as 48 outside-turn rows."""
    book = docx.Document()
    table = book.add_table(rows=1, cols=len(order))
    for cell, name in zip(table.rows[0].cells, order, strict=True):
        cell.text = name
    for n, (span, (who, said)) in enumerate(zip(SPANS, NVIVO_TURNS, strict=True), start=1):
        values = {"#": str(n), "Timespan": span, "Content": said, "Speaker": who}
        for cell, name in zip(table.add_row().cells, order, strict=True):
            cell.text = values[name]
    book.save(tmp_path / "nvivo.docx")
    document = load_document(tmp_path / "nvivo.docx")
    assert _turns(document) == ASKED
    assert document.warnings == ()


def test_a_timed_file_without_speakers_says_its_questions_are_coded(tmp_path: Path) -> None:
    path = tmp_path / "timed.txt"
    path.write_text("".join(f"{span}\t{said}\n" for span, (_, said) in zip(SPANS, NVIVO_TURNS, strict=True)))
    document = load_document(path)
    assert document.kind != "transcript"
    assert any("4 lines start with a time" in w and "questions included" in w for w in document.warnings)


def test_a_transcript_with_no_interviewer_found_says_so(tmp_path: Path) -> None:
    path = tmp_path / "named.txt"
    path.write_text(f"Ayesha: {ANSWER}\n\nBilal: {SECOND}\n\nAyesha: {SECOND}\n\nBilal: {ANSWER}\n")
    document = load_document(path)
    assert document.kind == "transcript"
    assert any("no interviewer recognised among the speakers (Ayesha, Bilal)" in w for w in document.warnings)
