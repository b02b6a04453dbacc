"""Markdown (``.md``): keep the words, drop the markup.

Headings (``## Methods``) and paragraphs that are one short bold run (``**ABSTRACT**``)
become heading lines; ``**bold**``/``*em*`` lose their stars; links keep their text
(``[cohesion](@entry_id:1)`` → ``cohesion``); images, ``<sup>`` markers, footnote
markers, HTML tags and rules are dropped. Papers converted from PDF often glue a bold
heading to the end of the previous line (``Talent Migration**Introduction**``); such a
run is split onto its own line.
"""

from __future__ import annotations

import re
from pathlib import Path

from narratives.loaders.base import Extracted, Line
from narratives.loaders.decoding import decode_text

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_LIST_ITEM = re.compile(r"^(?:[-*+]|\d{1,3}[.)])\s+")
_BULLET = re.compile(r"^[-*+]\s+")
_FENCE = re.compile(r"^\s*(```|~~~)")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>")
_SUP = re.compile(r"<sup>.*?</sup>", re.IGNORECASE | re.DOTALL)
_FOOTNOTE_MARK = re.compile(r"\[\^[^\]]+\]")
_FOOTNOTE_DEF = re.compile(r"^\[\^[^\]]+\]:")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EM_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_EM_UNDERSCORE = re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])")
_CODE = re.compile(r"`([^`]*)`")
_ESCAPE = re.compile(r"\\+([\\`*_{}\[\]()#+\-.!|~<>])")


def split_glued_bold(paragraph: str) -> list[str]:
    """Split a paragraph before bold runs glued to preceding text.

    ``**A****B**`` → ``**A**``, ``**B**``; ``text**Heading**`` at the end of the
    paragraph → ``text``, ``**Heading**``. Bold inside a sentence is left alone.
    """
    marks = [m.start() for m in re.finditer(r"\*\*", paragraph)]
    if len(marks) < 2 or len(marks) % 2:
        return [paragraph]
    cuts: list[int] = []
    for pair in range(0, len(marks), 2):
        opener, closer = marks[pair], marks[pair + 1]
        if opener == 0:
            continue
        before = paragraph[opener - 1]
        after_closer = paragraph[closer + 2:].strip()
        glued_to_closer = pair > 0 and marks[pair - 1] + 2 == opener
        final_run = not after_closer or after_closer.startswith("**")
        if glued_to_closer or (not before.isspace() and final_run):
            cuts.append(opener)
    if not cuts:
        return [paragraph]
    pieces = [paragraph[a:b] for a, b in zip([0, *cuts], [*cuts, len(paragraph)], strict=True)]
    return [piece for piece in pieces if piece.strip()]


def strip_inline(text: str) -> str:
    """Remove inline Markdown/HTML markup from one line, keeping the readable words."""
    text = _IMAGE.sub("", text)
    text = _SUP.sub("", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _FOOTNOTE_MARK.sub("", text)
    text = _TAG.sub("", text)
    text = _CODE.sub(r"\1", text)
    for _ in range(2):  # nested emphasis such as ***both***
        text = _STRONG.sub(r"\2", text)
        text = _EM_STAR.sub(r"\1", text)
        text = _EM_UNDERSCORE.sub(r"\1", text)
    text = text.replace("**", "")
    text = _ESCAPE.sub(r"\1", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def _is_bold_heading(paragraph: str) -> bool:
    stripped = paragraph.strip()
    if not (stripped.startswith("**") and stripped.endswith("**")) or stripped.count("**") != 2:
        return False
    inner = stripped[2:-2].strip()
    return 0 < len(inner) <= 250 and not inner.endswith((".", ",", ";"))


def markdown_to_lines(text: str) -> list[Line]:
    """Convert Markdown source into :class:`Line` records (soft-wrapped paragraphs)."""
    lines: list[Line] = []
    paragraph: list[str] = []
    in_fence = False

    def flush() -> None:
        if not paragraph:
            return
        joined = "\n".join(paragraph)
        paragraph.clear()
        for piece in split_glued_bold(joined):
            heading = _is_bold_heading(piece)
            first = True
            for raw in piece.split("\n"):
                clean = strip_inline(raw)
                if clean:
                    if heading and not first:
                        # a heading wrapped over several lines stays one heading line
                        last = lines[-1]
                        lines[-1] = Line(f"{last.text} {clean}", new_paragraph=True, heading=True)
                        continue
                    lines.append(Line(clean, new_paragraph=first, heading=heading))
                    first = False

    for raw in text.split("\n"):
        line = raw.rstrip()
        if _FENCE.match(line):
            flush()
            in_fence = not in_fence
            continue
        if in_fence:
            if line.strip():
                lines.append(Line(line.strip()))
            continue
        if not line.strip() or _RULE.match(line) or _TABLE_RULE.match(line) or _FOOTNOTE_DEF.match(line):
            flush()
            continue
        if heading := _HEADING.match(line.strip()):
            flush()
            title = strip_inline(heading.group(2))
            if title:
                lines.append(Line(title, heading=True))
            continue
        if _SETEXT.match(line) and len(paragraph) == 1:
            title = strip_inline(paragraph.pop())
            if title:
                lines.append(Line(title, heading=True))
            continue
        body = line.strip()
        if body.startswith(">"):
            body = body.lstrip("> ").strip()
        if body.startswith("|") and body.endswith("|"):
            body = " ".join(cell.strip() for cell in body.strip("|").split("|") if cell.strip())
        if _LIST_ITEM.match(body):
            flush()
            body = _BULLET.sub("", body)
        paragraph.append(body)
    flush()
    return lines


class MarkdownReader:
    """Reads Markdown, returning plain lines with headings marked."""

    def read(self, path: Path, data: bytes) -> Extracted:
        text, warnings = decode_text(path, data)
        return Extracted(tuple(markdown_to_lines(text)), warnings=warnings, soft_wrapped=True)
