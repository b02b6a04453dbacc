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
  ``coded_by = "coder"``; so a recoded passage moves to its new code.

Learning uses the same decisions: standing codes are positive examples, rejected ones negative
examples, ties neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from narratives.models import Assignment, Codebook, Example

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
        self.disagreements = tuple(disagreements)

    def examples(self) -> list[Example]:
        """The decided examples: one per (passage, code) that stands or is rejected, in input order."""
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
        """The one code that stands for ``text``, or ``None`` (none, or several)."""
        codes = self.accepted.get(passage_key(text), [])
        return codes[0] if len(codes) == 1 else None

    def override(self, assignments: Sequence[Assignment], texts: Sequence[str]) -> list[Assignment]:
        """``assignments`` with each passage that has one standing code given that code (score 1, by a coder)."""
        out = list(assignments)
        for i, text in enumerate(texts):
            code = self.decided_code(text)
            if code is None:
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
            "codes_standing": sum(len(v) for v in self.accepted.values()),
            "codes_rejected": sum(len(v) for v in self.rejected.values()),
            "ties_not_used": sum(d.outcome.startswith("tie") for d in self.disagreements),
            "disagreements": len(self.disagreements),
        }


def block_entries(
    p: NDArray[np.float64], blocked: Sequence[frozenset[str]] | None, entry_ids: Sequence[str], floor: float = 0.0
) -> NDArray[np.float64]:
    """Entry scores ``p`` with each row's blocked entries set to ``floor`` (the lowest score there
    is: 0 for probabilities, -1 for cosines)."""
    if not blocked:
        return p
    column = {e: j for j, e in enumerate(entry_ids)}
    out = p.copy()
    for i, entries in enumerate(blocked):
        for entry in entries:
            j = column.get(entry)
            if j is not None:
                out[i, j] = floor
    return out



def question_scope(
    examples: Sequence[Example], codebook: Codebook, questions: Sequence[str]
) -> list[frozenset[str]]:
    """For each of ``questions``, the entries outside what that question's examples used.

    A study's codes often belong to the question asked ("Question 3 themes"). Where the
    accepted examples answering a question used only some top-level themes (or groups), the
    other themes' entries are blocked for new passages answering it. A question no example
    answers blocks nothing.
    """
    used: dict[str, set[str]] = {}
    for example in examples:
        if example.accepted and example.question:
            used.setdefault(example.question, set()).add(codebook.top_level(example.code))
    out: list[frozenset[str]] = []
    for question in questions:
        themes = used.get(question)
        if not themes:
            out.append(frozenset())
            continue
        out.append(frozenset(e.id for e in codebook.entries if codebook.top_level(e.id) not in themes))
    return out
