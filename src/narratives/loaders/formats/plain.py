"""Plain text (``.txt``).

Paragraphs are separated by blank lines. Inside a block of consecutive lines, either
every line is its own paragraph (web-scraped text: one paragraph per line, often with
no blank lines at all) or the lines are a hard-wrapped paragraph (lines of similar
length, at most ~100 characters). We tell the two apart by line lengths.
"""

from __future__ import annotations

from pathlib import Path

from narratives.loaders.base import Extracted, Line
from narratives.loaders.decoding import decode_text

_WRAP_WIDTH = 100


def is_hard_wrapped(chunk: list[str]) -> bool:
    """True when ``chunk``'s lines look like one paragraph wrapped at a fixed width."""
    if len(chunk) < 2:
        return False
    body = [len(line) for line in chunk[:-1]]
    widest = max(body)
    if widest > _WRAP_WIDTH or widest < 30:
        return False
    return all(length >= 0.6 * widest for length in body) and len(chunk[-1]) <= widest + 5


def text_to_lines(text: str) -> list[Line]:
    """Split decoded text into :class:`Line` records with paragraph boundaries."""
    lines: list[Line] = []
    chunk: list[str] = []

    def flush() -> None:
        wrapped = is_hard_wrapped(chunk)
        for i, line in enumerate(chunk):
            lines.append(Line(line, new_paragraph=(i == 0) or not wrapped))
        chunk.clear()

    for raw in text.split("\n"):
        line = raw.strip()
        if line:
            chunk.append(line)
        elif chunk:
            flush()
    if chunk:
        flush()
    return lines


class PlainTextReader:
    """Reads UTF-8 (or legacy-encoded) plain text."""

    def read(self, path: Path, data: bytes) -> Extracted:
        text, warnings = decode_text(path, data)
        return Extracted(tuple(text_to_lines(text)), warnings=warnings)
