"""Segments must cut the document text exactly, keep speakers, and have stable ids."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from narratives.config import SegmentConfig
from narratives.models import Block, Document
from narratives.segment import segment_corpus

WORDS = st.sampled_from(
    ["pay", "Dr.", "Khan", "left", "the", "ward", "at", "night", "e.g.", "NHS", "£2,000", "salary",
     "[Urdu:", "sifarish]", "—", "😊", "اچھا", "yes", "3.5", "U.K.", "P5's", "\u00a0"]
)
SENTENCE = st.builds(
    lambda words, end: " ".join(words) + end,
    st.lists(WORDS, min_size=1, max_size=12),
    st.sampled_from([".", "?", "!", "...", "", "\n"]),
)
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=6).map(" ".join)


def _document(paragraphs: list[str], turns: bool) -> Document:
    """A document whose blocks are paragraphs, or turns labelled P1/Interviewer."""
    text, blocks = "", []
    for i, para in enumerate(paragraphs):
        label = ("Interviewer: " if i % 2 else "P1: ") if turns else ""
        text += label
        start = len(text)
        text += para
        stripped = para.strip()
        if stripped:
            lead = len(para) - len(para.lstrip())
            b_start, b_end = start + lead, start + lead + len(stripped)
            if turns:
                role = "interviewer" if i % 2 else "participant"
                blocks.append(Block(b_start, b_end, "turn", "Interviewer" if i % 2 else "P1", role))  # type: ignore[arg-type]
            else:
                blocks.append(Block(b_start, b_end))
        text += "\n\n"
    return Document("doc", text, "transcript" if turns else "paper", "t", "t.txt", tuple(blocks))


@settings(max_examples=150, deadline=None)
@given(st.lists(PARAGRAPH, min_size=1, max_size=5), st.booleans(), st.sampled_from(["sentence", "passage"]))
def test_offsets_cut_the_document_exactly(paragraphs: list[str], turns: bool, unit: str) -> None:
    document = _document(paragraphs, turns)
    segments = segment_corpus([document], SegmentConfig(unit=unit))  # type: ignore[arg-type]
    previous_end = 0
    for seg in segments:
        assert document.text[seg.start : seg.end] == seg.text
        assert seg.text == seg.text.strip() and seg.text
        assert seg.start >= previous_end, "segments overlap or go backwards"
        previous_end = seg.end
        block = document.blocks[seg.block]
        assert block.start <= seg.start and seg.end <= block.end, "a segment crosses its block"
        assert seg.speaker == block.speaker


def test_turns_keep_speaker_and_role_and_ids_are_stable() -> None:
    document = _document(["I left because the pay was an insult. We had no gloves.", "Why did you go?"], True)
    first = segment_corpus([document], SegmentConfig())
    second = segment_corpus([document], SegmentConfig())
    assert [s.segment_id for s in first] == ["doc:s0000", "doc:s0001", "doc:s0002"]
    assert first == second
    assert [(s.speaker, s.role) for s in first] == [
        ("P1", "participant"), ("P1", "participant"), ("Interviewer", "interviewer")
    ]


def test_a_turn_is_one_passage_and_paragraphs_are_windows() -> None:
    turn_doc = _document(["One. Two. Three. Four. Five."], True)
    passages = segment_corpus([turn_doc], SegmentConfig(unit="passage", passage_sentences=2))
    assert [p.text for p in passages] == ["One. Two. Three. Four. Five."]
    para_doc = _document(["One. Two. Three. Four. Five."], False)
    passages = segment_corpus([para_doc], SegmentConfig(unit="passage", passage_sentences=2))
    assert [p.text for p in passages] == ["One. Two.", "Three. Four.", "Five."]


def test_headings_are_not_segmented() -> None:
    text = "Findings\n\nDoctors left for pay."
    document = Document("d", text, "paper", "t", "t.md", (Block(0, 8, "heading"), Block(10, len(text))))
    assert [s.text for s in segment_corpus([document], SegmentConfig())] == ["Doctors left for pay."]


def test_parser_sentences_with_small_english_model() -> None:
    text = "I trained in Lahore for six years. Then Dr. Khan told me about the PLAB exam in the U.K."
    document = Document("d", text, "other", "t", "t.txt", (Block(0, len(text)),))
    segments = segment_corpus([document], SegmentConfig(spacy_model="en_core_web_sm"))
    assert [s.text for s in segments] == [
        "I trained in Lahore for six years.", "Then Dr. Khan told me about the PLAB exam in the U.K."
    ]


def test_annotations_and_quotes_stay_inside_their_sentence() -> None:
    text = ('Don\'t make me calculate. [laughs] Maybe twelve thousand dollars? '
            'He said, "Beta, do not take it personally." And I left. [long pause] Yes.')
    document = Document("d", text, "other", "t", "t.txt", (Block(0, len(text)),))
    assert [s.text for s in segment_corpus([document], SegmentConfig())] == [
        "Don't make me calculate.", "[laughs] Maybe twelve thousand dollars?",
        'He said, "Beta, do not take it personally."', "And I left.", "[long pause] Yes.",
    ]
