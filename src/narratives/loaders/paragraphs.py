"""Lines → paragraph units → the document text and its blocks.

A *unit* is one paragraph or heading of prose. Cleaning (:mod:`.furniture`) works on
units; only when it is done is the text assembled — units joined by blank lines — so
every block offset points into the cleaned text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from narratives.loaders.base import Extracted
from narratives.loaders.headings import looks_like_heading
from narratives.models import Block


@dataclass
class Unit:
    """One paragraph (or heading) of prose while it is being cleaned."""

    text: str
    heading: bool = False


def join_wrapped(previous: str, line: str, *, dehyphenate: bool) -> str:
    """Join a wrapped line to its paragraph, rejoining ``develop-``/``ment``."""
    if re.search(r"[^\W\d_]-$", previous) and line[:1].islower():
        return (previous[:-1] if dehyphenate else previous) + line
    return f"{previous} {line}"


def lines_to_units(extracted: Extracted) -> list[Unit]:
    """Group lines into units; headings (styled or by shape) stand alone."""
    units: list[Unit] = []
    for line in extracted.lines:
        text = " ".join(line.text.split())
        if not text:
            continue
        if line.heading:
            units.append(Unit(text, heading=True))
        elif line.new_paragraph or not units or units[-1].heading:
            units.append(Unit(text))
        else:
            units[-1].text = join_wrapped(units[-1].text, text, dehyphenate=extracted.dehyphenate)
    for unit in units:
        if not unit.heading and looks_like_heading(unit.text):
            unit.heading = True
    return units


def assemble(units: Sequence[Unit]) -> tuple[str, list[Block]]:
    """Join units with blank lines; one paragraph or heading block per unit."""
    parts: list[str] = []
    blocks: list[Block] = []
    offset = 0
    for unit in units:
        text = unit.text.strip()
        if not text:
            continue
        if parts:
            offset += 2
        blocks.append(Block(offset, offset + len(text), "heading" if unit.heading else "paragraph"))
        parts.append(text)
        offset += len(text)
    return "\n\n".join(parts), blocks
