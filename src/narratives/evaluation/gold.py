"""Read human-coded passages (a gold set, or coded examples) from CSV.

A coded file has a text column and a code column (found by common names or named
explicitly), and optionally a group column (document or session). Codes are matched to
codebook entries by id, label or slug of either.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from narratives.align.codebook import code_index, find_code
from narratives.errors import ConfigError, InputError
from narratives.models import Codebook, Example

TEXT_CANDIDATES = ("text", "content", "passage", "quote", "segment")
CODE_CANDIDATES = ("code", "tag", "gold", "label", "theme", "subtheme")


@dataclass(frozen=True)
class CodedPassages:
    """Passages with their codes, as read from one file.

    ``codes`` are codebook entry ids where the file's code matched one, else the code as
    written (such passages always count as wrong). ``groups`` is empty strings when the
    file has no group column.
    """

    path: Path
    texts: tuple[str, ...]
    codes: tuple[str, ...]
    groups: tuple[str, ...]
    unmatched: tuple[str, ...]

    def examples(self, codebook: Codebook, rows: range | list[int] | None = None) -> list[Example]:
        """The passages (all, or ``rows``) whose code is a codebook entry, as accepted examples."""
        known = {e.id for e in codebook.entries}
        chosen = range(len(self.texts)) if rows is None else rows
        return [
            Example(text=self.texts[i], code=self.codes[i], group=self.groups[i], source=str(self.path))
            for i in chosen if self.codes[i] in known
        ]


def _pick(columns: list[str], wanted: str | None, candidates: tuple[str, ...], what: str, path: Path) -> str:
    if wanted is not None:
        if wanted not in columns:
            raise InputError(f"{path}: no column '{wanted}' for the {what}; columns are: {', '.join(columns)}")
        return wanted
    lowered = {c.lower(): c for c in columns}
    for name in candidates:
        if name in lowered:
            return lowered[name]
    raise InputError(
        f"{path}: cannot tell which column holds the {what}; name it with --{what}-column "
        f"(columns are: {', '.join(columns)})"
    )


def read_coded(
    path: str | Path,
    codebook: Codebook,
    *,
    text_column: str | None = None,
    code_column: str | None = None,
    group_column: str | None = None,
) -> CodedPassages:
    """Read a coded CSV; rows without a text or a code are dropped.

    Raises:
        InputError: the file is missing, a column cannot be found, or no row is usable.
        ConfigError: none of the file's codes match the codebook.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: coded file not found")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    columns = list(frame.columns)
    text_col = _pick(columns, text_column, TEXT_CANDIDATES, "text", path)
    code_col = _pick(columns, code_column, CODE_CANDIDATES, "code", path)
    if group_column is not None and group_column not in columns:
        raise InputError(
            f"{path}: no column '{group_column}' for --group-column; columns are: {', '.join(columns)}"
        )
    frame = frame[(frame[text_col].str.strip() != "") & (frame[code_col].str.strip() != "")]
    if frame.empty:
        raise InputError(f"{path}: no rows with both a text and a code")
    index = code_index(codebook)
    raw = [c.strip() for c in frame[code_col]]
    codes = [find_code(index, c) or c for c in raw]
    known = {e.id for e in codebook.entries}
    if not any(c in known for c in codes):
        raise ConfigError(
            f"{path}: none of the codes in column '{code_col}' match codebook {codebook.source or codebook.name}; "
            f"first codes: {', '.join(raw[:5])}"
        )
    groups = [str(g) for g in frame[group_column]] if group_column else [""] * len(frame)
    return CodedPassages(
        path=path,
        texts=tuple(frame[text_col]),
        codes=tuple(codes),
        groups=tuple(groups),
        unmatched=tuple(sorted({r for r, c in zip(raw, codes, strict=True) if c not in known})),
    )
