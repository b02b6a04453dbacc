"""How coded files name a code: by id or label, in any case, with spaces or hyphens."""

from __future__ import annotations

import re
import unicodedata

from narratives.models import Codebook

__all__ = ["code_index", "find_code", "slugify"]


def slugify(text: str) -> str:
    """A lowercase slug: accents dropped, runs of other characters turned into ``-``.

    >>> slugify("Salary inadequacy (1a)")
    'salary-inadequacy-1a'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")

def code_index(codebook: Codebook) -> dict[str, str]:
    """Lower-cased id and label of every entry, and their slugs, mapped to the entry id.

    How coded files (gold sets, coders' decisions) name a code: by id or by label, in any
    case, with spaces or hyphens. Use :func:`find_code` to look a value up.
    """
    index: dict[str, str] = {}
    for entry in codebook.entries:
        for key in (entry.id, entry.label, slugify(entry.id), slugify(entry.label)):
            index.setdefault(key.lower(), entry.id)
    return index

def find_code(index: dict[str, str], value: str) -> str | None:
    """The entry id ``value`` names in ``index`` (from :func:`code_index`), or ``None``."""
    return index.get(value.strip().lower()) or index.get(slugify(value))
