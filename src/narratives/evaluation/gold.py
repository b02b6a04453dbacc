"""Human-coded passages as units to score: one code per passage, or a set (multi-label).

The file is read by the one reader of coded passages (:mod:`narratives.codebook.coded`), so its
``decision`` column means what it means for ``run --examples``: a rejected row is no gold
code for its passage. With ``id_column`` the rows sharing an id are one unit whose gold is
the set of their codes (``none`` rows add nothing); without it, every row is a unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from narratives.codebook.coded import Columns, decision_examples, read_coded_file
from narratives.codebook.records import NONE_CODE
from narratives.errors import ConfigError, InputError
from narratives.models import Codebook, Document, Example


@dataclass(frozen=True)
class CodedPassages:
    """Units with their gold codes, as read from one file.

    ``codes[i]`` is unit ``i``'s set of gold codes (one for single-label files; empty when
    its coders said no code applies): codebook entry ids where the file's code matched one,
    else the code as written (such units always count as wrong). ``groups`` and
    ``questions`` are empty strings when the file has no such column.
    """

    path: Path
    texts: tuple[str, ...]
    codes: tuple[tuple[str, ...], ...]
    groups: tuple[str, ...]
    questions: tuple[str, ...]
    ids: tuple[str, ...]
    unmatched: tuple[str, ...]
    examples_by_unit: tuple[tuple[Example, ...], ...]
    documents: tuple[str, ...] = ()
    """Each unit's document as the file names it (its ``document``/``group`` column), even when
    folds do not use it."""
    contexts: tuple[tuple[str | None, str], ...] = ()
    """Each unit's (question, window) in its document, when the documents were given."""

    def in_context(self, documents: Sequence[Document]) -> tuple[CodedPassages, int]:
        """These units with the question and window each has in ``documents`` (found by its text,
        in the file its group column names first), and how many were found."""
        from dataclasses import replace

        from narratives.align.windows import locate

        found = locate(self.texts, documents, self.documents)
        units = []
        for examples, where in zip(self.examples_by_unit, found, strict=True):
            if where is None:
                units.append(examples)
                continue
            question, window = where
            units.append(tuple(replace(x, question=x.question or question, window=window) for x in examples))
        contexts = tuple(where or (None, text) for where, text in zip(found, self.texts, strict=True))
        located = replace(self, examples_by_unit=tuple(units), contexts=contexts)
        return located, sum(f is not None for f in found)

    def units(self) -> list[Example]:
        """Each unit as a codeless example carrying its context, to be featurised like a segment."""
        pairs = self.contexts or tuple((None, t) for t in self.texts)
        return [Example(t, "", question=q, window=w) for t, (q, w) in zip(self.texts, pairs, strict=True)]

    @property
    def multi_label(self) -> bool:
        """Whether any unit has more than one gold code."""
        return any(len(c) > 1 for c in self.codes)

    def first_codes(self) -> list[str]:
        """Each unit's first gold code ("" for none): the single-label view."""
        return [c[0] if c else "" for c in self.codes]

    def examples(self, codebook: Codebook, rows: range | list[int] | None = None) -> list[Example]:
        """The coders' decisions on the units (all, or ``rows``) whose codes are codebook entries (or
        :data:`NONE_CODE`: no code fits)."""
        known = {e.id for e in codebook.entries} | {NONE_CODE}
        chosen = range(len(self.texts)) if rows is None else rows
        return [x for i in chosen for x in self.examples_by_unit[i] if x.code in known]


def read_coded(
    path: str | Path,
    codebook: Codebook,
    *,
    text_column: str | None = None,
    code_column: str | None = None,
    group_column: str | None = None,
    id_column: str | None = None,
    question_column: str | None = None,
) -> CodedPassages:
    """Read a coded CSV (or decision sheet); rows without a text or a code are dropped.

    Raises:
        InputError: the file is missing, a column cannot be found, or no row is usable.
        ConfigError: none of the file's codes match the codebook.
    """
    path = Path(path)
    columns = Columns(text=text_column, code=code_column, group=group_column, id=id_column, question=question_column)
    decisions = read_coded_file(path, codebook, strict=False, columns=columns)
    if not decisions:
        raise InputError(f"{path}: no rows with both a text and a code")
    known = {e.id for e in codebook.entries}
    if not any(d.code in known or d.proposed in known for d in decisions):
        raise ConfigError(
            f"{path}: none of the codes match codebook {codebook.source or codebook.name}; "
            f"first codes: {', '.join(d.proposed or d.code for d in decisions[:5])}"
        )
    order: list[str] = []
    units: dict[str, list] = {}
    for n, d in enumerate(decisions):
        key = d.unit_id if id_column else f"{n}"
        if key not in units:
            units[key] = []
            order.append(key)
        units[key].append(d)
    texts, codes, groups, questions, examples, sources = [], [], [], [], [], []
    for key in order:
        rows = units[key]
        texts.append(rows[0].text)
        sources.append(rows[0].document)
        codes.append(tuple(dict.fromkeys(d.code for d in rows if d.code != NONE_CODE)))
        groups.append(rows[0].document if group_column else "")
        questions.append(rows[0].question)
        examples.append(tuple(decision_examples(rows)))
    unmatched = sorted({c for unit in codes for c in unit if c not in known})
    return CodedPassages(
        path=path, texts=tuple(texts), codes=tuple(codes), groups=tuple(groups), questions=tuple(questions),
        ids=tuple(order), unmatched=tuple(unmatched), examples_by_unit=tuple(examples), documents=tuple(sources),
    )
