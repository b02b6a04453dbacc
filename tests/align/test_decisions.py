"""Coders' decisions as evidence: the majority rule, ties, blocking and overrides."""

from __future__ import annotations

from narratives.align.decisions import CoderEvidence, question_scope
from narratives.models import UNASSIGNED, Assignment, Codebook, Example, Theme

CB = Codebook(
    name="cb",
    entries=(
        Theme("economic", "Economic", "pay and money"),
        Theme("salary", "Salary", "low pay", parent="economic"),
        Theme("pension", "Pension", "no pension", parent="economic"),
        Theme("exams", "Exams", "licensing exams"),
    ),
)
QUOTE = "My salary did not cover the school fees."


def test_one_coders_word_stands() -> None:
    evidence = CoderEvidence([Example(QUOTE, "salary", True, coder="amna")], CB)
    assert evidence.decided_code(QUOTE) == "salary"
    assert not evidence.disagreements
    assert [(x.code, x.accepted) for x in evidence.examples()] == [("salary", True)]


def test_a_coders_last_word_counts_once() -> None:
    votes = [Example(QUOTE, "salary", True, coder="amna"), Example(QUOTE, "salary", False, coder="amna")]
    evidence = CoderEvidence(votes, CB)
    assert evidence.decided_code(QUOTE) == "none"  # her last word took the code away and gave none
    assert evidence.blocked([QUOTE]) == [frozenset({"salary"})]


def test_a_tie_between_coders_is_not_evidence_and_is_reported() -> None:
    votes = [Example(QUOTE, "salary", True, coder="amna"), Example(QUOTE, "salary", False, coder="bilal")]
    evidence = CoderEvidence(votes, CB)
    assert evidence.examples() == []
    assert evidence.decided_code(QUOTE) is None and evidence.blocked([QUOTE]) == [frozenset()]
    (tie,) = evidence.disagreements
    assert (tie.code, tie.given_by, tie.taken_by, tie.outcome) == ("salary", ("amna",), ("bilal",), "tie: not used")
    assert evidence.counts()["ties_not_used"] == 1


def test_the_majority_decides_and_the_minority_is_reported() -> None:
    votes = [Example(QUOTE, "salary", ok, coder=c) for c, ok in (("a", True), ("b", True), ("c", False))]
    evidence = CoderEvidence(votes, CB)
    assert evidence.decided_code(QUOTE) == "salary"
    assert [d.outcome for d in evidence.disagreements] == ["majority kept"]


def test_coders_giving_different_codes_keep_both_and_are_reported() -> None:
    votes = [Example(QUOTE, "salary", True, coder="a"), Example(QUOTE, "exams", True, coder="b")]
    evidence = CoderEvidence(votes, CB)
    assert evidence.decided_code(QUOTE) is None  # no single code: the model decides between them
    assert any(d.outcome == "different codes: each kept" for d in evidence.disagreements)
    assert {x.code for x in evidence.examples()} == {"salary", "exams"}


def test_a_rejected_theme_blocks_its_subthemes_and_a_recode_moves_the_passage() -> None:
    recode = [Example(QUOTE, "exams", True, coder="a"), Example(QUOTE, "economic", False, coder="a")]
    evidence = CoderEvidence(recode, CB)
    assert evidence.blocked([" My salary  did not cover the school fees. "]) == [
        frozenset({"economic", "salary", "pension"})
    ]
    machine = [Assignment("economic", "salary", 0.9, "economic", "salary")]
    (moved,) = evidence.override(machine, [QUOTE])
    assert (moved.theme, moved.subtheme, moved.score, moved.coded_by) == ("exams", None, 1.0, "coder")
    other = Assignment(UNASSIGNED, None, 0.1, "exams", None)
    assert evidence.override([other], ["Another passage."]) == [other]


def test_question_scope_blocks_the_themes_a_question_never_used() -> None:
    examples = [Example("pay is low", "salary", True, question="Q1"), Example("plab", "exams", True, question="Q2")]
    q1, q2, unknown = question_scope(examples, CB, ["Q1", "Q2", "Q9"])
    assert q1 == frozenset({"exams"})
    assert q2 == frozenset({"economic", "salary", "pension"})
    assert unknown == frozenset()


def test_a_passage_whose_codes_were_all_taken_away_is_left_unassigned_by_the_coder() -> None:
    """A reject with no recode says no code of the codebook fits: the passage stays unassigned, and learning
    gets it as an example of ``none``; a passage that was recoded keeps its new code."""
    from narratives.codebook.records import NONE_CODE

    rejected = [Example(QUOTE, "salary", False, coder="amna"), Example("Exams again.", "exams", False, coder="amna"),
                Example("Exams again.", "salary", True, coder="amna")]
    evidence = CoderEvidence(rejected, CB)
    assert evidence.no_code == frozenset({QUOTE})
    assert (QUOTE, NONE_CODE, True) in [(x.text, x.code, x.accepted) for x in evidence.examples()]
    machine = [Assignment("exams", None, 0.7, "exams", None), Assignment("exams", None, 0.7, "exams", None)]
    kept, moved = evidence.override(machine, [QUOTE, "Exams again."])
    assert (kept.theme, kept.coded_by, kept.best_theme) == (UNASSIGNED, "coder", "exams")
    assert (moved.theme, moved.subtheme) == ("economic", "salary")
    assert evidence.counts()["no_code_fits"] == 1


def test_blocking_probabilities_conditions_the_rest_on_not_being_blocked() -> None:
    """A unit that can only answer with some codes shares its probability among those codes and none."""
    import numpy as np

    from narratives.align.decisions import block_entries

    p = np.array([[0.4, 0.2, 0.1, 0.1]])  # none: 0.2
    out = block_entries(p, [frozenset({"economic"})], [e.id for e in CB.entries], condition=True)
    assert np.allclose(out, [[0.0, 0.2 / 0.6, 0.1 / 0.6, 0.1 / 0.6]])
    assert np.allclose(block_entries(p, [frozenset({"economic"})], [e.id for e in CB.entries]), [[0, 0.2, 0.1, 0.1]])


def test_no_code_fits_is_weighed_against_the_codes_other_coders_gave() -> None:
    from narratives.codebook.records import NONE_CODE

    split = [Example(QUOTE, "salary", True, coder="amna"), Example(QUOTE, NONE_CODE, True, coder="bilal")]
    evidence = CoderEvidence(split, CB)
    assert evidence.decided_code(QUOTE) == "salary" and QUOTE not in evidence.no_code  # one against one
    assert [(d.code, d.given_by, d.taken_by, d.outcome) for d in evidence.disagreements] == [
        (NONE_CODE, ("bilal",), ("amna",), "tie: not used")]
    two = [*split, Example(QUOTE, NONE_CODE, True, coder="chen")]
    evidence = CoderEvidence(two, CB)
    assert evidence.no_code == frozenset({QUOTE})
    assert [(x.code, x.accepted) for x in evidence.examples()] == [(NONE_CODE, True)]  # salary is no evidence
