"""Typed records of the coder round trip: what coders are shown, and what they decide."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["NONE_CODE", "Candidate", "CoderDecision", "DecisionKind"]

NONE_CODE = "none"
"""A coder's code for a unit that fits no codebook entry (a rejected proposal, not recoded)."""

DecisionKind = Literal["accept", "reject", "recode", "code"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One unit put in front of coders: a segment and the code the machine proposes for it.

    ``code`` is the proposed subtheme when there is one, else the theme. Offsets index the
    document's analysed text (``documents.jsonl`` of the run).
    """

    unit_id: str
    doc_id: str
    source: str
    speaker: str
    start: int
    end: int
    text: str
    context_before: str
    context_after: str
    theme: str
    subtheme: str
    score: float
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.subtheme or self.theme


@dataclass(frozen=True, slots=True)
class CoderDecision:
    """One coder's judgement of one unit, as read back from a spreadsheet or a project.

    ``code`` is the coder's code for the unit: the proposal when accepted, the recode
    target, :data:`NONE_CODE` when rejected without a recode, or the code a blind coder
    chose. ``proposed`` is what the machine proposed ("" when the coder could not see it
    or it is unknown).
    """

    coder: str
    unit_id: str
    code: str
    kind: DecisionKind
    proposed: str = ""
    comment: str = ""
    source_file: str = ""
    text: str = ""
    document: str = ""
    question: str = ""
    """What the passage answers, when the file says (a question column)."""
