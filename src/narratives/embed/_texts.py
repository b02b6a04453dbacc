"""Input checks shared by the embedders."""

from __future__ import annotations

from collections.abc import Sequence


def as_text_list(texts: Sequence[str]) -> list[str]:
    """``texts`` as a list, refusing a bare string (which would embed one character per row).

    Raises:
        TypeError: ``texts`` is a string, or holds something that is not a string.
    """
    if isinstance(texts, str):
        raise TypeError("embed() takes a sequence of texts, not a single string; wrap it in a list")
    items = list(texts)
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise TypeError(f"embed(): item {i} is {type(text).__name__}, expected str")
    return items
