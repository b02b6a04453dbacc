"""Typed records of the coder round trip: what coders are shown, and how a random sample was drawn.

What they decide (:class:`~narratives.codebook.records.CoderDecision`) is a codebook record,
read by :mod:`narratives.codebook.coded`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from narratives.codebook.records import NONE_CODE

__all__ = ["Candidate", "RandomSample"]


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
        """The proposed code: the subtheme, else the theme; :data:`NONE_CODE` when the machine left
        the segment unassigned (only a random sample of every coded segment shows such units)."""
        return NONE_CODE if self.theme == "unassigned" else self.subtheme or self.theme


@dataclass(frozen=True, slots=True)
class RandomSample:
    """How a verification sample was drawn: ``n`` of the run's ``population`` coded segments,
    uniformly at random with ``seed`` (within each value of ``strata``, in proportion, when set).

    Written into every row of the sheet (column ``sample``) and the project's description, so
    that ``narratives prevalence`` can tell a random sample from hand-picked quotes."""

    n: int
    population: int
    seed: int
    strata: str = ""

    PREFIX = "random"

    def __str__(self) -> str:
        strata = f" strata={self.strata}" if self.strata else ""
        return f"{self.PREFIX} n={self.n} of={self.population} seed={self.seed}{strata}"

    @classmethod
    def parse(cls, text: str) -> RandomSample | None:
        """The record in ``text`` (as ``str()`` writes it), or ``None`` when it is not one."""
        words = text.split()
        if not words or words[0] != cls.PREFIX:
            return None
        values = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        try:
            return cls(int(values["n"]), int(values["of"]), int(values["seed"]), values.get("strata", ""))
        except (KeyError, ValueError):
            return None
