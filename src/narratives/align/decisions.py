"""Coders' decisions as evidence: one rule for agreeing and disagreeing coders, and what it forces.

Every coded example says of one passage either "it is code *c*" (accepted, or the target of
a recode) or "it is not code *c*" (rejected, or the code a recode moved it away from).
Passages are matched by their text (whitespace runs made single spaces).

**The rule.** For each (passage, code), each coder's last word counts once (rows without a
coder name count once each). The code *stands* for the passage when more coders gave it
than took it away, is *rejected* when more took it away, and is left out as evidence when
they tie; every tie, and every passage given different codes by different coders, is a
:class:`Disagreement` the run reports.

**What it forces**, in a run over a corpus that contains the passage again:

- a rejected (passage, code) is *blocked*: that code (and, for a theme, its subthemes) cannot
  be assigned to the passage at any score;
- when exactly one code stands for the passage, the passage gets that code, with score 1 and
  ``coded_by = "coder"``; so a recoded passage moves to its new code;
- when codes were rejected for the passage and none stands (the coder took the proposal away and
  gave no other: *no code fits*), the passage is ``unassigned``, also ``coded_by = "coder"``.

Learning uses the same decisions: standing codes are positive examples, rejected ones negative
examples, ties neither; a passage no code fits is an example of
:data:`~narratives.codebook.records.NONE_CODE` (evidence for ``unassigned``), which the learned
aligner's prior has a class for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from narratives.codebook.records import NONE_CODE
from narratives.models import UNASSIGNED, Assignment, Codebook, Example

__all__ = ["CoderEvidence", "Disagreement", "block_entries", "passage_key", "question_scope"]


def passage_key(text: str) -> str:
    """How passages are matched: the text with whitespace runs made single spaces."""
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class Disagreement:
    """Coders who do not agree on a passage: the codes given and taken away, and what the rule did."""

    text: str
    code: str
    given_by: tuple[str, ...]
    taken_by: tuple[str, ...]
    outcome: str
    """``tie: not used``, or ``different codes: each kept`` when coders gave different codes."""


class CoderEvidence:
    """The decided (passage, code) pairs of a set of examples, by the rule in the module docstring."""

    def __init__(self, examples: Sequence[Example], codebook: Codebook) -> None:
        self.codebook = codebook
        votes: dict[tuple[str, str], dict[str, bool]] = {}
        first: dict[tuple[str, str], Example] = {}
        for n, example in enumerate(examples):
            key = (passage_key(example.text), example.code)
            voter = example.coder or f"row {n}"
            votes.setdefault(key, {})[voter] = example.accepted  # a coder's last word counts
            first.setdefault(key, example)
        self.accepted: dict[str, list[str]] = {}
        self.rejected: dict[str, set[str]] = {}
        disagreements: list[Disagreement] = []
        self._examples: list[Example] = []
        for key, by in votes.items():
            text, code = key
            if code == NONE_CODE:
                continue  # "no code fits" is weighed against the codes given, below
            given = tuple(sorted(v for v, yes in by.items() if yes))
            taken = tuple(sorted(v for v, yes in by.items() if not yes))
            template = first[key]
            if len(given) > len(taken):
                self.accepted.setdefault(text, []).append(code)
                self._examples.append(replace(template, accepted=True))
            elif len(taken) > len(given):
                self.rejected.setdefault(text, set()).add(code)
                self._examples.append(replace(template, accepted=False))
            else:
                disagreements.append(Disagreement(text, code, given, taken, "tie: not used"))
            if given and taken and len(given) != len(taken):
                disagreements.append(Disagreement(text, code, given, taken, "majority kept"))
        for text, codes in self.accepted.items():
            if len(codes) > 1:
                voters = tuple(sorted({v for c in codes for v, yes in votes[(text, c)].items() if yes}))
                if len(voters) > 1:
                    disagreements.append(
                        Disagreement(text, ";".join(sorted(codes)), voters, (), "different codes: each kept")
                    )
        self._weigh_no_code(votes, first, disagreements)
        self.disagreements = tuple(disagreements)
        unsettled = {d.text for d in disagreements}
        taken_away = {t for t in self.rejected if t not in self.accepted and t not in unsettled}
        for text in sorted(taken_away):  # every code taken away and none given: no code fits
            template = first[(text, min(self.rejected[text]))]
            self.accepted[text] = [NONE_CODE]
            self._examples.append(replace(template, code=NONE_CODE, accepted=True))
        self.no_code = frozenset(t for t, codes in self.accepted.items() if codes == [NONE_CODE])
        """Passages no code fits, by the coders' word (``none`` given, or every code taken away)."""

    def _weigh_no_code(self, votes: dict[tuple[str, str], dict[str, bool]], first: dict[tuple[str, str], Example],
                       disagreements: list[Disagreement]) -> None:
        """A passage is one no code fits when more coders said so than gave it a code; then the codes given
        are not evidence. Otherwise "none" is not used; either way a split is reported."""
        givers: dict[str, set[str]] = {}
        for (text, code), by in votes.items():
            if code != NONE_CODE:
                givers.setdefault(text, set()).update(v for v, yes in by.items() if yes)
        split = {d.text for d in disagreements}  # a reject is already reported as a split
        for (text, code), by in votes.items():
            if code != NONE_CODE:
                continue
            said = tuple(sorted(v for v, yes in by.items() if yes))
            if not said:
                continue
            gave = tuple(sorted(givers.get(text, set()) - set(said)))
            if len(said) > len(gave):
                dropped = set(self.accepted.pop(text, []))
                self._examples = [x for x in self._examples
                                  if not (passage_key(x.text) == text and x.accepted and x.code in dropped)]
                self.accepted[text] = [NONE_CODE]
                self._examples.append(replace(first[(text, code)], accepted=True))
            if gave and text not in split:
                outcome = "tie: not used" if len(said) == len(gave) else "majority kept"
                disagreements.append(Disagreement(text, NONE_CODE, said, gave, outcome))

    def examples(self) -> list[Example]:
        """The decided examples: one per (passage, code) that stands or is rejected, in input order,
        then one :data:`NONE_CODE` example per passage no code fits."""
        return list(self._examples)

    def blocked(self, texts: Sequence[str]) -> list[frozenset[str]]:
        """For each text, the entries a coder rejected for it (a theme blocks its subthemes too)."""
        out = []
        for text in texts:
            codes = self.rejected.get(passage_key(text), set())
            expanded = set(codes)
            for code in codes:
                expanded.update(s.id for s in self.codebook.subthemes(code))
            out.append(frozenset(expanded))
        return out

    def decided_code(self, text: str) -> str | None:
        """The one code that stands for ``text`` (``"none"`` when no code fits), or ``None`` (none, or several)."""
        codes = self.accepted.get(passage_key(text), [])
        return codes[0] if len(codes) == 1 else None

    def override(self, assignments: Sequence[Assignment], texts: Sequence[str]) -> list[Assignment]:
        """``assignments`` with each passage that has one standing code given that code (score 1, by a coder),
        and each passage no code fits left ``unassigned`` (by a coder)."""
        out = list(assignments)
        for i, text in enumerate(texts):
            code = self.decided_code(text)
            if code is None:
                continue
            if code == NONE_CODE:
                was = out[i]
                out[i] = Assignment(UNASSIGNED, None, 0.0, was.best_theme, was.best_subtheme, coded_by="coder")
                continue
            entry = self.codebook.get(code)
            theme = entry.parent or entry.id
            sub = entry.id if entry.parent else None
            out[i] = Assignment(theme, sub, 1.0, theme, sub, coded_by="coder")
        return out

    def counts(self) -> dict[str, int]:
        """Passages and decisions, for the run manifest and summary."""
        return {
            "passages": len({passage_key(x.text) for x in self._examples} | {d.text for d in self.disagreements}),
            "codes_standing": sum(len(v) for v in self.accepted.values() if v != [NONE_CODE]),
            "codes_rejected": sum(len(v) for v in self.rejected.values()),
            "no_code_fits": len(self.no_code),
            "ties_not_used": sum(d.outcome.startswith("tie") for d in self.disagreements),
            "disagreements": len(self.disagreements),
        }


def block_entries(
    p: NDArray[np.float64], blocked: Sequence[frozenset[str]] | None, entry_ids: Sequence[str], floor: float = 0.0,
    *, condition: bool = False,
) -> NDArray[np.float64]:
    """Entry scores ``p`` with each row's blocked entries set to ``floor`` (the lowest score there
    is: 0 for probabilities, -1 for cosines). With ``condition`` (probabilities), the rest of the row is
    conditioned on "not a blocked entry": divided by one minus the blocked probability, so a unit that
    can only answer with some codes shares its probability among those codes (and ``none``)."""
    if not blocked:
        return p
    column = {e: j for j, e in enumerate(entry_ids)}
    out = np.array(p, dtype=np.float64, copy=True)
    for i, entries in enumerate(blocked):
        cols = [column[e] for e in entries if e in column]
        if not cols:
            continue
        removed = float(out[i, cols].sum()) if condition else 0.0
        out[i, cols] = floor
        if condition and 0.0 < removed < 1.0 - 1e-9:
            out[i] /= 1.0 - removed
    return out


def question_scope(
    examples: Sequence[Example], codebook: Codebook, questions: Sequence[str]
) -> list[frozenset[str]]:
    """For each of ``questions``, the entries that cannot answer it.

    A study's codes often belong to the question asked ("Question 3 themes"). Two sources say which:

    - the codebook: an entry whose ``question`` names another question than the unit answers is
      blocked (matched without case or extra spaces; an entry with no question answers any);
    - the accepted examples: where the examples answering a question used only some top-level
      themes (or groups), the other themes' entries are blocked for new passages answering it.

    A question neither source knows blocks nothing.
    """
    used: dict[str, set[str]] = {}
    known = {e.id for e in codebook.entries}
    for example in examples:
        if example.accepted and example.question and example.code in known:
            used.setdefault(example.question, set()).add(codebook.top_level(example.code))
    own = {e.id: _question_key(e.question) for e in codebook.entries if e.question}
    asked = set(own.values())
    out: list[frozenset[str]] = []
    for question in questions:
        blocked: set[str] = set()
        key = _question_key(question or "")
        if key in asked:
            blocked.update(entry for entry, q in own.items() if q != key)
        themes = used.get(question)
        if themes:
            blocked.update(e.id for e in codebook.entries if codebook.top_level(e.id) not in themes)
        out.append(frozenset(blocked))
    return out


def _question_key(question: str) -> str:
    return " ".join(question.split()).casefold()
