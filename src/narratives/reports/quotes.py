"""Candidate quotations per theme: high-scoring, diverse, traceable.

Selection is maximal marginal relevance (MMR) over segment embeddings: each next quote
maximises ``diversity * score - (1 - diversity) * max_similarity_to_chosen``; near
duplicates (cosine >= 0.92) are never both chosen, and no document gives more than
``max(2, k // 3)`` quotes while other documents have candidates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from narratives.models import UNASSIGNED, Assignment, Document, Quote, Segment
from narratives.types import Vectors

NEAR_DUPLICATE = 0.92
PREFERRED_MIN_WORDS = 8

CAPTION_FIRST = ("gender", "sex", "age", "specialty", "speciality", "profession", "role", "country")
"""Attributes a paper's quote caption names first, in this order; others follow alphabetically."""
NOT_IN_CAPTION = frozenset({"participant", "date", "title", "interviewer", "outlet", "file", "doc_id", "kind",
                            "source", "id", "language", "session"})
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


def caption(attributes: Mapping[str, str], *, kind: str, speaker: str | None) -> str:
    """A caption a paper can put after a quote: "(P5, male, cardiology, UK)" for a participant —
    the participant id, then the attributes that describe a person (numbers, which mean nothing
    without their column's name, and dates are left out); "(Dawn, 2024-05-01)" for news or papers."""
    values = {k: str(v).strip() for k, v in attributes.items() if str(v).strip()}
    if kind == "transcript":
        who = values.get("participant") or speaker
        keys = [k for k in CAPTION_FIRST if k in values]
        keys += sorted(k for k in values if k not in keys and k not in NOT_IN_CAPTION)
        parts = [who, *(values[k] for k in keys if not _NUMBER.fullmatch(values[k]))]
    else:
        parts = [values.get("outlet") or values.get("title"), values.get("date")]
    shown = [p for p in parts if p]
    return f"({', '.join(shown)})" if shown else ""


def context_around(text: str, start: int, end: int, chars: int) -> tuple[str, str]:
    """Up to ``chars`` characters either side, cut at word boundaries."""
    if chars <= 0:
        return "", ""
    lo = max(0, start - chars)
    before = text[lo:start]
    if lo > 0 and " " in before:
        before = before[before.index(" ") + 1 :]
    hi = min(len(text), end + chars)
    after = text[end:hi]
    if hi < len(text) and " " in after:
        after = after[: after.rindex(" ")]
    return " ".join(before.split()), " ".join(after.split())


def select_quotes(
    theme: str,
    candidates: Sequence[int],
    segments: Sequence[Segment],
    assignments: Sequence[Assignment | None],
    embeddings: Vectors,
    rows: Sequence[int] | NDArray[np.int64],
    documents: dict[str, Document],
    *,
    k: int,
    diversity: float,
    context_chars: int,
) -> list[Quote]:
    """Pick up to ``k`` quotes for ``theme`` among segment indices ``candidates``.

    ``rows[i]`` is the embedding row of segment ``i`` (``-1`` when it has none).
    """
    scores = {i: a.score for i in candidates if (a := assignments[i]) is not None and rows[i] >= 0}
    pool = list(scores)
    long_enough = [i for i in pool if len(segments[i].text.split()) >= PREFERRED_MIN_WORDS]
    if len(long_enough) >= k:
        pool = long_enough
    # stable order: score descending, then segment id
    pool.sort(key=lambda i: (-scores[i], segments[i].segment_id))
    per_doc_cap = max(2, k // 3)
    n_docs = len({segments[i].doc_id for i in pool})
    chosen: list[int] = []
    chosen_vecs: list[np.ndarray] = []
    per_doc: dict[str, int] = {}
    remaining = list(pool)
    while remaining and len(chosen) < k:
        best, best_value = -1, -np.inf
        for i in remaining:
            seg = segments[i]
            if n_docs > len(per_doc) and per_doc.get(seg.doc_id, 0) >= per_doc_cap:
                continue
            vec = embeddings[rows[i]]
            redundancy = max((float(vec @ v) for v in chosen_vecs), default=0.0)
            if redundancy >= NEAR_DUPLICATE:
                continue
            value = diversity * scores[i] - (1.0 - diversity) * redundancy
            if value > best_value:
                best, best_value = i, value
        if best < 0:
            break
        remaining.remove(best)
        chosen.append(best)
        chosen_vecs.append(embeddings[rows[best]])
        per_doc[segments[best].doc_id] = per_doc.get(segments[best].doc_id, 0) + 1
    quotes = []
    for rank, i in enumerate(chosen, start=1):
        seg, assignment = segments[i], assignments[i]
        assert assignment is not None and assignment.theme != UNASSIGNED
        document = documents[seg.doc_id]
        before, after = context_around(document.text, seg.start, seg.end, context_chars)
        quotes.append(
            Quote(
                theme=theme,
                subtheme=assignment.subtheme,
                rank=rank,
                segment_id=seg.segment_id,
                doc_id=seg.doc_id,
                source=document.source,
                speaker=seg.speaker,
                start=seg.start,
                end=seg.end,
                text=seg.text,
                score=assignment.score,
                context_before=before,
                context_after=after,
            )
        )
    return quotes
