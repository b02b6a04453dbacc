"""Second themes from a segment's clauses (``align.multi_label``).

One embedding per passage averages what it says, so a passage that carries two themes
("the pay could not cover the fees, and I still feel I abandoned my patients") is pulled
towards whichever theme dominates, and the second theme's probability rarely passes the
threshold. With ``multi_label`` each assigned segment is also split into clauses (at
sentence ends, semicolons, colons, dashes, and a comma before *and / but / while / yet /
so / whereas*); each clause of at least ``MIN_CLAUSE_WORDS`` words is coded on its own,
and a clause theme other than the segment's is added to :attr:`Assignment.also` when its
score reaches ``CLAUSE_MIN_SCORE``.

Measured on 16 invented two-theme passages and 40 one-theme passages (physician-migration
codebook, zero-shot, ``benchmarks/alignment.py``): both themes reported for 0.19 of the
two-theme passages with the aligner's own second theme only, 0.50 with clauses; the share
of one-theme passages given a second theme stays 0.12. Clause splitting is English
punctuation and conjunctions only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from narratives.models import UNASSIGNED, Assignment
from narratives.types import Aligner

__all__ = ["CLAUSE_MIN_SCORE", "MIN_CLAUSE_WORDS", "clauses", "with_clause_themes"]

CLAUSE_MIN_SCORE = 0.5
"""Score a clause needs for its theme to count as a segment's second theme."""
MIN_CLAUSE_WORDS = 4
"""Shorter clauses ("and so on") are not coded on their own."""

_SPLIT = re.compile(r"(?<=[.;:?!])\s+|,\s+(?:and|but|while|yet|so|whereas)\s+|\s+[—–]\s+", re.IGNORECASE)


def clauses(text: str) -> list[str]:
    """The clauses of ``text`` long enough to code alone (empty when it has only one)."""
    parts = [p.strip() for p in _SPLIT.split(text) if len(p.split()) >= MIN_CLAUSE_WORDS]
    return parts if len(parts) > 1 else []


def with_clause_themes(assignments: Sequence[Assignment], texts: Sequence[str], aligner: Aligner) -> list[Assignment]:
    """``assignments`` with clause themes added to ``also`` (unassigned segments unchanged); each
    clause is coded on its own words with the aligner's encoders."""
    from narratives.align.windows import plain_features

    owners: list[int] = []
    pieces: list[str] = []
    for i, (assignment, text) in enumerate(zip(assignments, texts, strict=True)):
        if assignment.theme != UNASSIGNED:
            for clause in clauses(text):
                owners.append(i)
                pieces.append(clause)
    out = list(assignments)
    if not pieces:
        return out
    extra: dict[int, dict[str, float]] = {}
    for i, coded in zip(owners, aligner.assign(plain_features(aligner.encoders, pieces)), strict=True):
        if coded.theme in (UNASSIGNED, out[i].theme) or coded.score < CLAUSE_MIN_SCORE:
            continue
        found = extra.setdefault(i, dict(out[i].also))
        found[coded.theme] = max(found.get(coded.theme, 0.0), coded.score)
    for i, found in extra.items():
        out[i] = replace(out[i], also=tuple(sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))))
    return out
