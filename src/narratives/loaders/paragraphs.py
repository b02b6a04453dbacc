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


_HYPHENATED = re.compile(r"[^\W\d_]-$")


def join_point(previous: str, line: str, *, dehyphenate: bool) -> tuple[int, str]:
    """How to add ``line`` to a paragraph ending in ``previous``: characters to drop from
    its end and the separator (``develop-`` + ``ment`` → drop the hyphen if ``dehyphenate``,
    no space)."""
    if _HYPHENATED.search(previous[-2:]) and line[:1].islower():
        return (1 if dehyphenate else 0), ""
    return 0, " "


def lines_to_units(extracted: Extracted) -> list[Unit]:
    """Group lines into units; headings (styled or by shape) stand alone.

    A paragraph's lines are collected as parts and joined once, so a hard-wrapped file
    of any length loads in linear time.
    """
    units: list[Unit] = []
    parts: list[list[str]] = []
    for line in extracted.lines:
        text = " ".join(line.text.split())
        if not text:
            continue
        if line.heading:
            units.append(Unit(text, heading=True))
            parts.append([text])
        elif line.new_paragraph or not units or units[-1].heading:
            units.append(Unit(text))
            parts.append([text])
        else:
            current = parts[-1]
            drop, separator = join_point(current[-1], text, dehyphenate=extracted.dehyphenate)
            if drop:
                current[-1] = current[-1][:-drop]
            current.append(separator + text)
    for unit, pieces in zip(units, parts, strict=True):
        unit.text = "".join(pieces)
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
