"""What a coder decided about one passage: the record every reader of coded passages returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["NONE_CODE", "CoderDecision", "DecisionKind"]

NONE_CODE = "none"
"""A coder's code for a unit that fits no codebook entry (a rejected proposal, not recoded)."""

DecisionKind = Literal["accept", "reject", "recode", "code"]


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
