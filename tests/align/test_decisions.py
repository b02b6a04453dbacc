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
    assert evidence.decided_code(QUOTE) is None
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
