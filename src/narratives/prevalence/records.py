"""How a random verification sample was drawn, and the coder's verified sample as the estimate
uses it (read back by :mod:`narratives.coders.verification`)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RandomSample", "VerifiedSample"]


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


@dataclass(frozen=True)
class VerifiedSample:
    """Each verified segment's codes (empty: no code fits), and where they came from."""

    codes: dict[str, frozenset[str]]
    sample: RandomSample | None
    """How the sample was drawn, when the files record it."""
    files: tuple[str, ...]
    coders: tuple[str, ...]
    notes: tuple[str, ...]
