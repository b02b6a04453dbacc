"""Speaker turns: every label shape, roles, continuation lines, and no false positives."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from narratives.loaders import load_document
from narratives.loaders.base import Line
from narratives.loaders.turns import build_transcript, match_label, role_of


@pytest.mark.parametrize(("line", "speaker", "role", "timestamp"), [
    ("P5: We had no gloves.", "P5", "participant", None),
    ("Interviewer: Why did you leave?", "Interviewer", "interviewer", None),
    ("I: Why did you leave?", "I", "interviewer", None),
    ("Speaker 2: We had no gloves.", "Speaker 2", "participant", None),
    ("[00:12:31] P5: We had no gloves.", "P5", "participant", "00:12:31"),
    ("00:12:31 P5: We had no gloves.", "P5", "participant", "00:12:31"),
    ("Dr Khan: We had no gloves.", "Dr Khan", "participant", None),
    ("Participant 3: We had no gloves.", "Participant 3", "participant", None),
    ("R: We had no gloves.", "R", "participant", None),
    ("Moderator: Next question.", "Moderator", "interviewer", None),
    ("Int: Next question.", "Int", "interviewer", None),
    ("Q: Next question.", "Q", "interviewer", None),
])
def test_label_shapes(line: str, speaker: str, role: str, timestamp: str | None) -> None:
    label = match_label(line)
    assert label is not None
    assert (label.speaker, role_of(label.speaker), label.timestamp) == (speaker, role, timestamp)
    assert line[label.content_start:] == line.split(": ", 1)[1]


@pytest.mark.parametrize("line", ["Note: the clinic closed.", "Time: 3pm", "However, the pay: low",
                                  "I think: maybe", "the nurse: said", "Keywords: brain drain"])
def test_not_labels(line: str) -> None:
    assert match_label(line) is None


def test_transcript_turns_cover_only_what_was_said(tmp_path: Path, blocks_valid) -> None:
    path = tmp_path / "p5.txt"
    path.write_text(
        "Interview 5, Leeds, May 2025\n\n"
        "[00:00:05] Interviewer: Why did you leave Lahore?\n"
        "[00:00:09] P5: The salary could not cover school fees.\n"
        "We also had no pension. [Urdu: hum kuch nahi kar sakte — we could do nothing]\n\n"
        "And the hours were eighty a week.\n"
        "[00:01:10] Interviewer: Would you go back?\n"
        "[00:01:14] P5: If my parents needed me.\n",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert doc.kind == "transcript"
    blocks_valid(doc)
    turns = [b for b in doc.blocks if b.kind == "turn"]
    assert [(b.speaker, b.role, b.timestamp) for b in turns] == [
        ("Interviewer", "interviewer", "00:00:05"), ("P5", "participant", "00:00:09"),
        ("Interviewer", "interviewer", "00:01:10"), ("P5", "participant", "00:01:14")]
    said = doc.text[turns[1].start:turns[1].end]
    assert said.startswith("The salary could not cover school fees.")
    assert said.endswith("And the hours were eighty a week.")
    assert "[Urdu: hum kuch nahi kar sakte — we could do nothing]" in said
    assert "[00:00:09] P5: The salary" in doc.text  # labels stay in the text
    assert doc.blocks[0].kind == "heading" or doc.blocks[0].kind == "paragraph"
    assert doc.text[doc.blocks[0].start:doc.blocks[0].end] == "Interview 5, Leeds, May 2025"


def test_named_speakers_and_manifest_interviewer(tmp_path: Path) -> None:
    path = tmp_path / "names.txt"
    path.write_text("Sara Ahmed: What made you apply?\nDr Khan: The rota.\nSara Ahmed: And now?\n"
                    "Dr Khan: I sleep.\n", encoding="utf-8")
    doc = load_document(path, interviewers=["Sara Ahmed"])
    assert [(b.speaker, b.role) for b in doc.blocks] == [
        ("Sara Ahmed", "interviewer"), ("Dr Khan", "participant"),
        ("Sara Ahmed", "interviewer"), ("Dr Khan", "participant")]


def test_prose_with_a_colon_is_not_a_transcript(tmp_path: Path) -> None:
    path = tmp_path / "memo.txt"
    path.write_text("Note: the clinic in Multan closed after the last doctor left for Dubai.\n"
                    "Time: 3pm on Friday, when the outpatient list was still long.\n"
                    "Staff said they had raised the shortage for months.\n", encoding="utf-8")
    doc = load_document(path)
    assert doc.kind != "transcript"
    assert all(b.kind != "turn" for b in doc.blocks)


def test_one_stray_label_is_not_enough() -> None:
    lines = [Line("Dr Khan: said the ward was full."), Line("Nothing else here is a turn."),
             Line("Another ordinary sentence follows.")]
    assert build_transcript(lines) is None


def test_docx_transcript_with_continuation_paragraphs(write_docx) -> None:
    path = write_docx("p7.docx", [("Interviewer: Tell me about training.", None),
                                  ("P7: There was none.", None), ("We learned by watching.", None),
                                  ("Interviewer: And supervision?", None), ("P7: Rare.", None)])
    doc = load_document(path)
    turns = [(b.speaker, doc.text[b.start:b.end]) for b in doc.blocks]
    assert turns == [("Interviewer", "Tell me about training."),
                     ("P7", "There was none.\nWe learned by watching."),
                     ("Interviewer", "And supervision?"), ("P7", "Rare.")]


# standard labels only: a name label that occurs once is deliberately not trusted
_SPEAKERS = ["P1", "P12", "Interviewer", "I", "R", "Speaker 2", "Participant 3", "Moderator", "Q"]
_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
_said = st.lists(_words, min_size=1, max_size=12).map(" ".join).map(lambda s: s.capitalize() + ".")
_turn = st.tuples(st.sampled_from(_SPEAKERS), st.booleans(), _said,
                  st.lists(_said, max_size=2))


@settings(max_examples=60, deadline=None)
@given(st.lists(_turn, min_size=2, max_size=8))
def test_generated_transcripts_round_trip(turns: list[tuple[str, bool, str, list[str]]]) -> None:
    lines: list[Line] = []
    expected: list[tuple[str, str]] = []
    for i, (speaker, stamped, first, more) in enumerate(turns):
        prefix = f"[00:{i:02d}:00] " if stamped else ""
        lines.append(Line(f"{prefix}{speaker}: {first}"))
        lines.extend(Line(extra) for extra in more)
        expected.append((speaker, "\n".join([first, *more])))
    result = build_transcript(lines, forced=True)
    assert result is not None
    text, blocks = result
    assert [(b.speaker, text[b.start:b.end]) for b in blocks] == expected
    assert all(b.role == role_of(b.speaker or "") for b in blocks)


def _roles(tmp_path: Path, text: str) -> dict[str, set[str]]:
    path = tmp_path / "t.txt"
    path.write_text(text, encoding="utf-8")
    roles: dict[str, set[str]] = {}
    for block in load_document(path).blocks:
        if block.kind == "turn":
            roles.setdefault(block.speaker or "", set()).add(block.role or "")
    return roles


def test_the_speaker_who_asks_is_inferred_as_interviewer(tmp_path: Path) -> None:
    text = (
        "Speaker 1: Can you hear me? Shall we start?\n\n"
        "Speaker 2: Yes, fine. I have about an hour before my night shift starts at the hospital.\n\n"
        "Speaker 1: Why did you leave Lahore?\n\n"
        "Speaker 2: The pay, mostly, and the nights. Nobody was promoted without connections there.\n\n"
        "Speaker 1: And what would bring you back?\n\n"
        "Speaker 2: A proper post, a fair selection, and a school for my daughter. Then maybe.\n"
    )
    assert _roles(tmp_path, text) == {"Speaker 1": {"interviewer"}, "Speaker 2": {"participant"}}


def test_no_interviewer_is_guessed_when_nobody_mostly_asks(tmp_path: Path) -> None:
    text = (
        "Speaker 1: I left because of the pay. It was not enough for the rent.\n\n"
        "Speaker 2: For me it was the nights, thirty-six hours on call.\n\n"
        "Speaker 1: The nights too, yes. And nobody listened to juniors.\n\n"
        "Speaker 2: Was it the same in Multan? I think it was worse there.\n"
    )
    assert _roles(tmp_path, text) == {"Speaker 1": {"participant"}, "Speaker 2": {"participant"}}


def test_a_participant_label_is_never_inferred_as_interviewer(tmp_path: Path) -> None:
    text = (
        "P5: Why would I stay? Who would pay my fees? What future is there?\n\n"
        "Dr Khan: I cannot answer that for you, but many of my colleagues felt the same way back then.\n\n"
        "P5: Did you feel it too? Did you leave for the same reasons?\n\n"
        "Dr Khan: Partly. The training was the main reason for me, and the hours we were working.\n"
    )
    assert _roles(tmp_path, text)["P5"] == {"participant"}
