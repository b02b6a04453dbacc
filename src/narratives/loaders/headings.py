"""Is this short line a heading? One rule shared by every format without heading styles."""

from __future__ import annotations

import re

_MINOR = {"a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "of", "on", "or",
          "the", "to", "vs", "via", "with", "without", "its", "their", "our", "is", "are", "not"}
_END = (".", "!", "?", ",", ";", ":", "…")


def looks_like_heading(text: str) -> bool:
    """True for a short, title-case (or all-caps) line without closing punctuation.

    ``"Brain Circulation"`` and ``"The Migration Equation: Rethinking the Workforce"``
    are headings; ``"Note: the clinic closed."`` and ``"Yes"``-style fragments in
    lower case are not.
    """
    text = text.strip()
    words = text.split()
    if not words or len(words) > 14 or len(text) > 120 or text.endswith(_END):
        return False
    if not (text[0].isupper() or text[0].isdigit()):
        return False
    if re.search(r"[.!?]\s+[A-Z]", text):  # two sentences are a paragraph
        return False
    letters = [w for w in (re.sub(r"[^\w'’-]", "", w) for w in words) if w and w[0].isalpha()]
    if not letters:
        return False
    if all(w.isupper() for w in letters) and len("".join(letters)) >= 3:
        return True
    major = [w for w in letters if w.lower() not in _MINOR]
    capitalised = sum(1 for w in major if w[0].isupper())
    return bool(major) and capitalised >= max(1, round(len(major) * 0.75))
