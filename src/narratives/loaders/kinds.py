"""Which kind of document is this? Simple, documented rules; the manifest always wins.

Applied to the text *before* cleaning (the cleaning removes the very signals):

* ``transcript`` — decided earlier: caption files, and texts with speaker turns
  (:mod:`.turns`);
* ``paper`` — at least two *scholarly signals*: an Abstract heading, a References or
  Bibliography heading, a DOI, a Keywords line, an affiliation or e-mail line near the
  top, and citation markers (one signal for 3+, a second for 10+);
* ``news`` — web pages (``.html``), or article-like prose (under 3,000 words) with a
  byline, a dateline, or publishing/sharing boilerplate (``Published:``, ``Follow us``,
  ``With IANS inputs``, ``Share this``, ``Also Read``);
* ``other`` — everything else (notes, blog posts without such furniture, reports).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from narratives.loaders.furniture import (
    AUTHOR_YEAR,
    BOILERPLATE,
    BYLINE,
    EMAIL,
    NUMERIC,
    PANDOC,
    REFERENCES,
    is_affiliation,
)
from narratives.loaders.paragraphs import Unit
from narratives.models import DocumentKind

_ABSTRACT = re.compile(r"^\W*abstract\b", re.IGNORECASE)
_KEYWORDS = re.compile(r"^\W*key\s?words?\s*[:.—-]", re.IGNORECASE)
_DOI = re.compile(r"\b10\.\d{4,9}/\S+|\bdoi\s*:", re.IGNORECASE)
_DATELINE = re.compile(r"^[A-Z][A-Z ]{2,30}(?:\s*\([A-Za-z ]+\))?\s*[:—–-]\s+[A-Z]")


def scholarly_signals(units: Sequence[Unit]) -> int:
    """How many of the scholarly signals listed in the module docstring are present."""
    texts = [u.text for u in units]
    top = texts[:25]
    citations = sum(len(p.findall(t)) for t in texts for p in (AUTHOR_YEAR, NUMERIC, PANDOC))
    signals = [
        any(_ABSTRACT.match(t) and len(t.split()) <= 3 for t in texts) or any(
            _ABSTRACT.match(t) for t in top),
        any(REFERENCES.match(t) for t in texts[1:]),
        any(_DOI.search(t) for t in texts),
        any(_KEYWORDS.match(t) for t in texts),
        any(is_affiliation(t) or (EMAIL.search(t) and len(t.split()) <= 25) for t in top),
        citations >= 3,
        citations >= 10,
    ]
    return sum(signals)


def is_news(units: Sequence[Unit]) -> bool:
    """Article-like prose with news furniture: byline, dateline or sharing boilerplate."""
    texts = [u.text for u in units]
    if sum(len(t.split()) for t in texts) > 3000:
        return False
    furniture = any(len(t.split()) <= 30 and any(p.search(t) for p in BOILERPLATE) for t in texts)
    byline = any(BYLINE.match(t) for t in texts[:6])
    dateline = any(_DATELINE.match(t) for t in texts[:4])
    return furniture or byline or dateline


def infer_kind(units: Sequence[Unit], hint: DocumentKind | None = None) -> DocumentKind:
    """``paper``, ``news`` or ``other`` for prose (transcripts are found before this)."""
    if scholarly_signals(units) >= 2:
        return "paper"
    if hint == "news" or is_news(units):
        return "news"
    return hint or "other"
