"""Typed records of the coder round trip: what coders are shown.

What they decide (:class:`~narratives.codebook.records.CoderDecision`) is a codebook record,
read by :mod:`narratives.codebook.coded`; how a random verification sample was drawn
(:class:`~narratives.prevalence.records.RandomSample`) is the estimate's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from narratives.codebook.records import NONE_CODE

__all__ = ["Candidate"]


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
    nearest: str = ""
    """The code the machine found nearest, assigned or not (``best_subtheme``, else ``best_theme``)."""
    coded_by: str = "machine"
    """``coder`` when a coder's decision on this passage set its code (an earlier round)."""

    @property
    def code(self) -> str:
        """The proposed code: the subtheme, else the theme; :data:`NONE_CODE` when the machine left
        the segment unassigned (only a random sample of every coded segment shows such units)."""
        return NONE_CODE if self.theme == "unassigned" else self.subtheme or self.theme
