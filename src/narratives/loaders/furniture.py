"""Drop the furniture, keep the argument: cleaning of papers, editorials and other prose.

Runs on paragraph units before the text is assembled, in this order:

1. a file-name line opening the text (``TheLearnery-Blog-HealthcareMigration_1``);
2. everything from a *References* / *Bibliography* / *Works cited* heading on;
3. front matter — units before the abstract, introduction or first long paragraph —
   that are author lists, affiliations, bylines, article-type labels (``RESEARCH PAPER``);
4. anywhere: e-mail and *Corresponding author* lines, *Keywords* lines, DOI/URL-only
   lines, received/accepted dates, copyright lines, and web boilerplate (``Follow us on``,
   ``Share this``, ``Published: undefined``, ``With IANS inputs``, ``Also Read`` …);
5. paragraphs cut in two by a page break are rejoined: the first does not end a
   sentence (nor with a citation) and the second starts in lower case, or both are long
   and the first ends mid-word-sequence;
6. inline: author–year citations ``(Smith et al., 2019; Khan 2020)``, numeric ``[12]``,
   ``[1-3]``, Pandoc-style ``[@problem_id:4967880]``, ``[cohesion](@entry_id:1)`` →
   ``cohesion``, stray e-mail addresses, and the spaces these leave before punctuation.

Transcripts are never cleaned: what was said is kept verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from narratives.loaders.paragraphs import Unit, join_point

_FILE_NAME = re.compile(r"^[\w.-]*[-_][\w.-]*$")
REFERENCES = re.compile(r"^(?:\d+\.?\s*)?(?:references?|bibliography|works cited|reference list|"
                         r"literature cited|sources|citations)\s*:?$", re.IGNORECASE)
_FRONT_END = re.compile(r"^(?:\d+\.?\s*)?(?:abstract|summary|introduction|background)\b", re.IGNORECASE)
_ARTICLE_TYPE = re.compile(r"^(?:(?:original|research|review|short)\s+(?:paper|article|communication)|"
                           r"editorial|opinion|commentary|case report|perspective)$", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?:https?://|www\.)\S+|\bdoi:\s*\S+|\b10\.\d{4,9}/\S+", re.IGNORECASE)
_LINE_FURNITURE = [re.compile(p, re.IGNORECASE) for p in (
    r"^\W*correspond(?:ing|ence)\b",
    r"^\W*e-?mail\s*:",
    r"^\W*key\s?words?\s*[:.—-]",
    r"^\W*(?:received|accepted|revised|published online|available online)\s*:?\s*\d",
    r"^\W*(?:©|copyright\b|all rights reserved|this is an open access article|licensed under)",
    r"^\W*(?:doi|issn|isbn|orcid)\b\s*:?",
    r"^\W*(?:cite this (?:article|as)|how to cite)\b",
)]
BOILERPLATE = [re.compile(p, re.IGNORECASE) for p in (
    r"^published\s*:?\s*(?:undefined|on\b|\d|[a-z]+ \d)",
    r"^(?:last )?updated\s*:?\s*(?:on\b|\d|[a-z]+ \d)",
    r"^follow us\b",
    r"^share (?:this|on|via)\b|^share$|^share article$",
    r"^\(?with (?:inputs from [\w ,&]+|[A-Z][\w&]*(?: and [A-Z][\w&]*)? inputs)\)?\.?$",
    r"^also read\b|^read (?:more|also)\b|^related(?: articles| stories| news)?\s*:?$",
    r"^advertisement$|^sponsored$|^subscribe\b|^sign up\b|^click here\b",
    r"^join our\b|^download (?:our|the) app\b|^listen to (?:this|the) (?:article|story)\b",
    r"^(?:facebook|twitter|x|whatsapp|telegram|linkedin|instagram|google news|email|print)"
    r"(?:\s*[,|/·]\s*(?:facebook|twitter|x|whatsapp|telegram|linkedin|instagram|google news|email|print))*$",
    r"^(?:tags?|topics?)\s*:",
    r"^(?:photo|image|file photo)\s*(?::|credit)",
)]
BYLINE = re.compile(r"^[Bb]y\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,4}(?:\s*[,|]\s*[\w ]+)?$")
_AFFILIATION = re.compile(r"\b(?:department|dept\.|university|institute|faculty|college|school of|"
                          r"hospital|centre|center|laboratory|ministry)\b", re.IGNORECASE)
_NAME_TOKEN = re.compile(r"^(?:Dr\.?|Prof\.?|Mr\.?|Mrs\.?|Ms\.?|[A-Z]\.(?:[A-Z]\.)*|[A-Z][\w'’-]*\.?)[*†‡\d,]*$")

# Inline citation markers.
_NAME = r"(?:[A-Z][\w'’-]+|[A-Z]\.)(?:\s+(?:[A-Z][\w'’-]+|[A-Z]\.|van|von|de|der|den|da|del|al|el|bin|ibn))*"
_AUTHORS = rf"{_NAME}(?:\s*(?:,|&|\band\b)\s*{_NAME})*(?:,?\s+et\s+al\.?)?"
_YEAR = r"(?:\d{3,4}[a-z]?(?:\s*C\.?E\.?)?|n\.d\.|in\s+press|forthcoming)"
_CITE = rf"{_AUTHORS},?\s+{_YEAR}(?:\s*,\s*{_YEAR})*(?:,\s*(?:pp?\.?)\s*\d+(?:\s*[-–]\s*\d+)?)?"
_LEAD = r"(?:(?:e\.g\.|see|cf\.),?\s*)?"
AUTHOR_YEAR = re.compile(rf"\s*\({_LEAD}{_CITE}(?:\s*;\s*{_LEAD}{_CITE})*\)")
NUMERIC = re.compile(r"\s*\[\d{1,3}(?:\s*[-–,]\s*\d{1,3})*\]")
PANDOC = re.compile(r"\s*\[@[^\]]*\]")
_ENTRY_LINK = re.compile(r"\[([^\]]+)\]\(@[^)]*\)")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([.,;:!?])(?=\s|$)")
_DOUBLE_STOP = re.compile(r"(?<![.])([.!?])\.(?![.])")
_SENTENCE_END = (".", "!", "?", ":", ";", ")", "]", '"', "”", "’", "'", "…")


def _words(text: str) -> int:
    return len(text.split())


def is_author_line(text: str) -> bool:
    """``Dr. Asad Ali Manzoor*, Rabia Farooq and Nargus Zafar``-style author lists."""
    if _words(text) > 40 or text.endswith("."):
        return False
    parts = [p for p in re.split(r"\s*(?:,|;|&|\band\b)\s*", text) if p.strip(" *†‡")]
    if not parts or not all(2 <= len(p.split()) <= 5 and all(_NAME_TOKEN.match(t) for t in p.split())
                            for p in parts):
        return False
    marked = re.search(r"[*†‡]|\b(?:Dr|Prof)\b|\b[A-Z]\.", text) is not None
    return marked and (len(parts) >= 2 or re.search(r"[*†‡]", text) is not None)


def is_affiliation(text: str) -> bool:
    """``1. Lecturer, Department of Education, University of Narowal, Punjab, Pakistan``."""
    return (_words(text) <= 40 and _AFFILIATION.search(text) is not None
            and (text.count(",") >= 2 or re.match(r"^[\d*†‡a-z]{1,2}[.)]?\s", text) is not None))


def is_furniture_line(text: str) -> bool:
    """Lines that are never argument, wherever they appear (short lines only)."""
    if _words(text) > 60:
        return False
    if EMAIL.search(text) and _words(text) <= 25:
        return True
    if any(p.search(text) for p in _LINE_FURNITURE):
        return True
    if any(p.search(text) for p in BOILERPLATE):
        return True
    leftover = _URL.sub("", text)
    leftover = re.sub(r"(?i)\b(?:available (?:at|from)|retrieved from|url|link|source)\b\s*:?", "", leftover)
    return len(leftover.strip(" .,:;()[]<>-–—|")) < 3


def strip_citations(text: str) -> str:
    """Remove in-text citation markers and tidy the spaces they leave."""
    text = _ENTRY_LINK.sub(r"\1", text)
    text = PANDOC.sub("", text)
    text = AUTHOR_YEAR.sub("", text)
    text = NUMERIC.sub("", text)
    text = EMAIL.sub("", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _DOUBLE_STOP.sub(r"\1", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def _front_matter_end(units: Sequence[Unit]) -> int:
    for i, unit in enumerate(units):
        if (unit.heading or _words(unit.text) <= 3) and _FRONT_END.match(unit.text):
            return i
        if not unit.heading and _words(unit.text) >= 40:
            return i
    return len(units)


def _rejoin_page_breaks(units: list[Unit]) -> list[Unit]:
    """Join a paragraph to the next when a page (or hard line) break split a sentence.

    The joined paragraph is kept as parts with a running word count, so a text whose every
    line became a unit still joins in linear time."""
    out: list[Unit] = []
    parts: list[list[str]] = []
    words: list[int] = []
    for unit in units:
        if out and not unit.heading and not out[-1].heading:
            tail = parts[-1][-1]
            open_end = not tail.rstrip().endswith(_SENTENCE_END)
            lower_start = unit.text[:1].islower()
            n_words = _words(unit.text)
            long_pair = (words[-1] >= 20 and n_words >= 20
                         and tail[-1:].isalpha() and not re.match(r"^(?:\d+[.)]|[-*•])\s", unit.text))
            if open_end and (lower_start or long_pair):
                drop, separator = join_point(tail, unit.text, dehyphenate=True)
                parts[-1][-1] = tail[:len(tail) - drop]
                parts[-1].append(separator + unit.text)
                words[-1] += n_words
                continue
        out.append(unit)
        parts.append([unit.text])
        words.append(_words(unit.text))
    return [Unit("".join(p), u.heading) if len(p) > 1 else u for u, p in zip(out, parts, strict=True)]


def clean_units(units: Sequence[Unit]) -> list[Unit]:
    """Apply the cleaning steps in the module docstring; returns new units."""
    units = [Unit(u.text.strip(), u.heading) for u in units if u.text.strip()]
    if units and " " not in units[0].text and _FILE_NAME.match(units[0].text) and len(units) > 1:
        units = units[1:]
    for i, unit in enumerate(units):
        if i > 0 and (unit.heading or _words(unit.text) <= 3) and REFERENCES.match(unit.text):
            units = units[:i]
            break
    front = _front_matter_end(units)
    kept: list[Unit] = []
    for i, unit in enumerate(units):
        text = unit.text
        if i < front and (is_author_line(text) or is_affiliation(text) or BYLINE.match(text)
                          or _ARTICLE_TYPE.match(text)):
            continue
        if is_furniture_line(text):
            continue
        kept.append(unit)
    kept = _rejoin_page_breaks(kept)
    cleaned = [Unit(strip_citations(u.text), u.heading) for u in kept]
    return [u for u in cleaned if u.text]
