"""Coding context: the question a segment answers and the text around it."""

from __future__ import annotations

import numpy as np

from narratives.align.windows import WINDOW_CHARS, question_and_window
from narratives.models import Block, Document


def _transcript() -> Document:
    parts = [
        ("Interviewer", "interviewer", "Would you ever go back to Lahore?"),
        ("P2", "participant", "For my daughters — no. " + "The schools there are not safe at night. " * 20),
        ("Interviewer", "interviewer", "Thank you. Anything else?"),
        ("P2", "participant", "No, that is all."),
    ]
    text, blocks = "", []
    for speaker, role, said in parts:
        text += f"{speaker}: "
        blocks.append(Block(len(text), len(text) + len(said), "turn", speaker, role))  # type: ignore[arg-type]
        text += said + "\n\n"
    return Document("t", text, "transcript", "t", "t.txt", tuple(blocks))


def test_an_answer_carries_the_question_it_answers() -> None:
    doc = _transcript()
    start = doc.text.index("For my daughters")
    question, window = question_and_window(doc, start, start + len("For my daughters — no."))
    assert question == "Would you ever go back to Lahore?"
    assert window.startswith("For my daughters — no.")
    assert len(window) <= len("For my daughters — no.") + WINDOW_CHARS + 1
    assert "Interviewer" not in window, "the window stays inside the turn"


def test_the_latest_question_is_used_and_interviewer_turns_have_none() -> None:
    doc = _transcript()
    start = doc.text.index("No, that is all.")
    assert question_and_window(doc, start, start + 16)[0] == "Thank you. Anything else?"
    start = doc.text.index("Thank you.")
    assert question_and_window(doc, start, start + 10)[0] is None


def test_documents_without_turns_get_only_the_window() -> None:
    text = "Doctors leave for pay. They also leave for training."
    doc = Document("p", text, "paper", "p", "p.md", (Block(0, len(text)),))
    assert question_and_window(doc, 23, len(text)) == (None, text)


def test_segment_windows_average_the_neighbours_within_reach() -> None:
    from narratives.align.windows import segment_windows
    from narratives.models import Segment

    def seg(i: int, start: int, end: int, block: int = 0, doc: str = "d") -> Segment:
        return Segment(segment_id=f"{doc}:s{i}", doc_id=doc, unit="sentence", index=i, block=block,
                       start=start, end=end, text="x")

    far = WINDOW_CHARS + 50
    segments = [seg(0, 0, 40), seg(1, 41, 80), seg(2, 80 + far, 120 + far), seg(3, 0, 40, block=1)]
    vectors = np.eye(4, dtype=np.float32)
    windows = segment_windows(vectors, segments)
    assert np.allclose(windows[0], [0.5, 0.5, 0, 0])  # itself and its neighbour; not the far one
    assert np.allclose(windows[2], [0, 0, 1, 0])  # nobody within reach
    assert np.allclose(windows[3], [0, 0, 0, 1])  # another block is never context


def test_examples_are_learned_in_the_context_they_have_in_the_corpus() -> None:
    from narratives.align.windows import with_corpus_context
    from narratives.models import Example, Segment

    doc = _transcript()
    start = doc.text.index("For my daughters")
    segment = Segment("t:s0001", "t", "sentence", 1, 1, start, start + 22, "For my daughters — no.", "P2",
                      "participant")
    sentence = "The schools there are not safe at night. The schools there"  # spans two sentences: found in the text
    examples = [Example("For my  daughters — no.", "return"), Example(sentence, "return", group="t"),
                Example("Never said in this corpus.", "return")]
    as_segment, as_text, elsewhere = with_corpus_context(examples, [segment], {"t": doc})
    assert as_segment.question == "Would you ever go back to Lahore?" and as_segment.window.startswith("For my")
    assert as_text.question == "Would you ever go back to Lahore?" and sentence in " ".join(as_text.window.split())
    assert elsewhere.window is None and elsewhere.question is None
