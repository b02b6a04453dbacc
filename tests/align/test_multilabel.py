"""Multi-label: a passage that carries two themes reports both (clauses coded alone)."""

from __future__ import annotations

from narratives.align import CalibratedAligner
from narratives.align.multilabel import clauses, with_clause_themes
from narratives.embed import SentenceTransformerEmbedder
from narratives.models import UNASSIGNED, Assignment, Codebook


def test_clauses_split_at_punctuation_and_conjunctions() -> None:
    text = "We were paid late for five months, and in the same hospital there was no gauze at all."
    assert clauses(text) == ["We were paid late for five months", "in the same hospital there was no gauze at all."]
    assert clauses("I was paid late for five months.") == []  # one clause: nothing to add
    assert clauses("Yes; of course, and so on — fine.") == []  # pieces too short to code alone


def test_two_theme_passage_gets_both_themes(
    minilm: SentenceTransformerEmbedder, physician_codebook: Codebook
) -> None:
    aligner = CalibratedAligner(multi_label=True).fit(physician_codebook, minilm)
    texts = [
        "There was one broken CT scanner for the whole district, while here I use modern equipment "
        "every day and my training has a clear curriculum.",
        "I was paid late for five months and could not cover my rent on the stipend.",
    ]
    found = with_clause_themes(aligner.assign(minilm.embed(texts)), texts, aligner)
    themes = {found[0].theme, *(t for t, _ in found[0].also)}
    assert {"institutional-neglect", "professional-promise-abroad"} <= themes
    assert found[1].theme == "economic-disenfranchisement"
    assert found[1].also == ()  # one theme, one clause: no invented second theme


def test_unassigned_segments_are_left_alone(minilm: SentenceTransformerEmbedder, physician_codebook: Codebook) -> None:
    aligner = CalibratedAligner(multi_label=True).fit(physician_codebook, minilm)
    text = "The salary was tiny, and the oxygen ran out on the night shift."
    blank = Assignment(UNASSIGNED, None, 0.1, "economic-disenfranchisement", None)
    assert with_clause_themes([blank], [text], aligner) == [blank]
