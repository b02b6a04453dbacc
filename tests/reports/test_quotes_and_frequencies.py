"""Quote selection is diverse and traceable; frequencies add up and are traceable."""

from __future__ import annotations

import numpy as np
import pandas as pd

from narratives.models import Assignment, Block, Codebook, Document, Segment, Theme
from narratives.reports import select_quotes, theme_frequencies


def _setup(n_docs: int = 3, per_doc: int = 4):
    documents, segments, assignments, vectors = {}, [], [], []
    rng = np.random.default_rng(0)
    base = rng.normal(size=8)
    for d in range(n_docs):
        sentences = [f"Doc {d} sentence {i} says the salary was far too low for us." for i in range(per_doc)]
        text = " ".join(sentences)
        doc_id = f"doc{d}"
        documents[doc_id] = Document(doc_id, text, "transcript", doc_id, f"{doc_id}.txt", (Block(0, len(text)),))
        offset = 0
        for i, sentence in enumerate(sentences):
            segments.append(Segment(f"{doc_id}:s{i:04d}", doc_id, "sentence", i, 0, offset, offset + len(sentence),
                                    sentence, speaker="P1", role="participant"))
            offset += len(sentence) + 1
            assignments.append(Assignment("pay", "salary", 0.9 - 0.01 * (d * per_doc + i)))
            vec = base + (0.01 if d == 0 else 1.0) * rng.normal(size=8)  # doc0's sentences are near-duplicates
            vectors.append(vec / np.linalg.norm(vec))
    return documents, segments, assignments, np.asarray(vectors, dtype=np.float32)


def test_quotes_are_traceable_and_not_near_duplicates() -> None:
    documents, segments, assignments, vectors = _setup()
    rows = list(range(len(segments)))
    quotes = select_quotes("pay", rows, segments, assignments, vectors, rows, documents,
                           k=5, diversity=0.7, context_chars=40)
    assert 1 < len(quotes) <= 5
    for q in quotes:
        assert documents[q.doc_id].text[q.start : q.end] == q.text
        assert q.source == f"{q.doc_id}.txt" and q.speaker == "P1"
    chosen = np.asarray([vectors[int(q.segment_id[-4:]) + 4 * int(q.doc_id[-1])] for q in quotes])
    sims = chosen @ chosen.T - np.eye(len(quotes))
    assert sims.max() < 0.92, "two near-duplicate quotes were both chosen"
    assert sum(q.doc_id == "doc0" for q in quotes) <= 2
    assert [q.rank for q in quotes] == list(range(1, len(quotes) + 1))
    assert quotes[0].context_after.startswith("Doc")


def test_frequencies_shares_add_up_and_exclude_uncoded() -> None:
    codebook = Codebook("cb", (Theme("pay", "Pay", "d"), Theme("salary", "Salary", "d", parent="pay"),
                               Theme("hours", "Hours", "d")))
    frame = pd.DataFrame({
        "status": ["coded", "coded", "coded", "interviewer", "coded"],
        "theme": ["pay", "pay", "unassigned", None, "hours"],
        "subtheme": ["salary", None, None, None, None],
        "doc_id": ["a", "b", "a", "a", "b"],
        "speaker": ["P1", "P2", "P1", "Interviewer", "P2"],
        "kind": ["transcript"] * 5,
        "country": ["UK", "Canada", "UK", "UK", "Canada"],
    })
    table = theme_frequencies(frame, codebook, ["country"])
    overall = table[(table.breakdown == "overall") & (table.level == "theme")].set_index("theme")
    assert overall.loc["pay", "segments"] == 2 and overall.loc["pay", "documents"] == 2
    assert overall["share"].sum() == 1.0
    assert overall.loc["pay", "group_segments"] == 4, "the interviewer turn must not be counted"
    uk = table[(table.breakdown == "country") & (table.group == "UK") & (table.level == "theme")]
    assert dict(zip(uk.theme, uk.segments, strict=True)) == {"pay": 1, "hours": 0, "unassigned": 1}
    sub = table[(table.level == "subtheme") & (table.breakdown == "overall")]
    assert list(sub.subtheme) == ["salary"] and sub.iloc[0]["segments"] == 1


def test_text_without_an_attribute_is_never_pooled_with_people() -> None:
    """Papers' and news' text went into a "(none)" country, read as a group of participants."""
    codebook = Codebook("cb", (Theme("pay", "Pay", "d"),))
    frame = pd.DataFrame({
        "status": ["coded"] * 5, "theme": ["pay"] * 5, "subtheme": [None] * 5,
        "doc_id": ["a", "b", "paper", "news", "c"],
        "speaker": ["P1", "P2", None, None, "P3"],
        "kind": ["transcript", "transcript", "paper", "news", "transcript"],
        "country": ["UK", "Canada", None, None, ""],
    })
    groups = theme_frequencies(frame, codebook, ["country"]).query("breakdown == 'country' and level == 'theme'")
    sizes = groups[groups.theme == "pay"].set_index("group")
    assert dict(sizes["segments"]) == {"(news text)": 1, "(no country)": 1, "(paper text)": 1, "Canada": 1, "UK": 1}
    assert sizes.loc["(no country)", "group_participants"] == 1 and sizes.loc["(paper text)", "group_participants"] == 0


def test_quote_captions_read_as_a_paper_cites_them() -> None:
    from narratives.reports.quotes import caption

    person = {"participant": "P5", "country": "UK", "gender": "male", "specialty": "cardiology",
              "years_abroad": "6", "date": "2025-06-10", "interviewer": "AM"}
    assert caption(person, kind="transcript", speaker="P5") == "(P5, male, cardiology, UK)"
    assert caption({"gender": "female"}, kind="transcript", speaker="Speaker 2") == "(Speaker 2, female)"
    assert caption({"outlet": "Dawn", "date": "2024-05-01", "title": "Brain drain"}, kind="news",
                   speaker=None) == "(Dawn, 2024-05-01)"
    assert caption({}, kind="paper", speaker=None) == ""
