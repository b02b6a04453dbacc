"""Read and validate a researcher's codebook from a YAML, CSV or REFI-QDA ``.qdc`` file, and write it as YAML.

A codebook lists the themes a researcher codes for, each optionally split into
subthemes (two levels at most). :func:`load_codebook` turns the file into an immutable
:class:`~narratives.models.Codebook` or raises :class:`~narratives.errors.CodebookError`
naming the file, the entry and the field, and saying how to fix it.

YAML format (``.yaml`` / ``.yml``)::

    name: physician-migration            # optional; default: the file name
    description: Six themes from ...      # optional
    themes:
      - id: economic-disenfranchisement   # optional; derived from the label if absent
        label: Economic disenfranchisement as existential mismatch
        definition: What the theme covers, in words a second coder can apply.
        include: Code here when ...       # optional inclusion note
        exclude: Do not code here when ...# optional exclusion note
        keywords: [salary, pay, pension]  # optional list
        examples:                         # optional list of short example quotes
          - "My salary did not cover my children's school fees."
        question: Q3                      # optional: the question these codes answer
        subthemes:                        # optional; same fields, no deeper nesting
          - id: salary-inadequacy
            label: Salary inadequacy
            definition: ...

A subtheme may also be written flat in ``themes`` with ``parent: <theme id or label>``.
A theme with ``group: true`` is a folder of codes (a QDA tool's parent code such as
"Question 1 themes"): it needs no definition, and only its subthemes are coded.

CSV format (``.csv``, UTF-8, header row required), one row per theme or subtheme:

- ``name``, ``tag`` or ``code`` (one of them; ``id`` is accepted too): the entry's name;
  its id is the name turned into a slug (``Moderator assist`` → ``moderator-assist``).
- ``definition`` or ``description`` (one of them): required, non-empty.
- ``label`` (optional): display label; default: the name as written.
- ``parent`` (optional): for a subtheme, its theme's id or name; empty for a theme. A parent
  that no row defines, and that is not a near-miss of one that does, is a *group* (a folder
  of codes, as QDA tools export them); :attr:`Codebook.notes` says which groups were made.
- ``keywords`` (optional): separated by ``;``.
- ``examples`` (optional): separated by ``|`` (quotes often contain semicolons).
- ``include`` / ``exclude`` (optional): inclusion and exclusion notes.
- ``question`` (optional): the question the code answers, written as the coded file's question
  column writes it (``Q3``, or the question's text); a subtheme takes its theme's. A unit that
  answers a question named in the codebook is coded only with that question's codes (and the
  codes that name no question).

Any other column (for instance ``number of highlights``) is ignored.

Ids are lowercase slugs (``a-z``, ``0-9`` and ``-``), unique across themes and
subthemes; ``unassigned`` is reserved for segments that match no theme.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from narratives.codebook.lookup import slugify
from narratives.errors import CodebookError
from narratives.models import UNASSIGNED, Codebook, Theme
from narratives.safe_yaml import load_yaml

__all__ = ["codebook_to_yaml", "load_codebook", "slugify"]

_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TOP_KEYS = ("name", "description", "themes")
_ENTRY_KEYS = ("id", "label", "definition", "include", "exclude", "keywords", "examples", "question")
_THEME_KEYS = (*_ENTRY_KEYS, "subthemes", "parent", "group")
_SUBTHEME_KEYS = _ENTRY_KEYS

_CSV_ID_COLUMNS = ("id", "code", "tag", "name")
_CSV_DEFINITION_COLUMNS = ("definition", "description")
KEYWORD_SEPARATOR = ";"
EXAMPLE_SEPARATOR = "|"


@dataclass
class _Draft:
    """An entry as read, before parents are resolved and ids checked for clashes."""

    id: str
    label: str
    definition: str
    where: str
    parent_ref: str | None = None
    nested_parent: str | None = None
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    include: str = ""
    exclude: str = ""
    group: bool = False
    question: str = ""
    children: list[_Draft] = field(default_factory=list)


def load_codebook(path: str | Path) -> Codebook:
    """Load a codebook from a YAML (``.yaml``/``.yml``) or CSV (``.csv``) file.

    The file format is described in this module's docstring and, for researchers, in
    ``configs/codebooks/README.md``.

    Args:
        path: The codebook file.

    Returns:
        The validated codebook; ``source`` is ``str(path)`` and ``sha256`` the hash of
        the file's bytes, so a run manifest pins exactly which codebook was used.

    Raises:
        CodebookError: the file is missing, unreadable or invalid; the message names the
            file, the entry and the field, and says how to fix it.
    """
    p = Path(path)
    if not p.is_file():
        raise CodebookError(p, "codebook file not found; check the path (a .yaml, .yml or .csv file)")
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CodebookError(
            p, f"not UTF-8 text (byte {exc.start}); save the file with UTF-8 encoding"
        ) from None
    suffix = p.suffix.lower()
    groups_allowed = False
    if suffix in (".yaml", ".yml"):
        name, description, drafts = _read_yaml(p, text)
    elif suffix == ".csv":
        name, description, drafts = p.stem, "", _read_csv(p, text)
        groups_allowed = True
    elif suffix == ".qdc":
        from narratives.codebook.qdc import read_codebook_qdc

        name, description, drafts = _read_mapping(p, read_codebook_qdc(p, raw))
    else:
        raise CodebookError(p, f"unknown codebook format '{suffix}'; use a .yaml, .yml, .csv or .qdc file")
    notes: list[str] = []
    entries = _resolve(p, drafts, groups_allowed=groups_allowed, notes=notes)
    return Codebook(
        name=name,
        entries=entries,
        source=str(p),
        sha256=hashlib.sha256(raw).hexdigest(),
        description=description,
        notes=tuple(notes),
    )


def codebook_to_yaml(codebook: Codebook) -> str:
    """The codebook in this module's YAML format; :func:`load_codebook` reads it back equal."""

    def entry(t: Theme) -> dict[str, Any]:
        out: dict[str, Any] = {"id": t.id, "label": t.label}
        if t.question and (t.parent is None or codebook.get(t.parent).question != t.question):
            out["question"] = t.question
        if t.group:
            out["group"] = True
        if t.definition or not t.group:
            out["definition"] = t.definition
        for key in ("include", "exclude"):
            if getattr(t, key):
                out[key] = getattr(t, key)
        for key in ("keywords", "examples"):
            if getattr(t, key):
                out[key] = list(getattr(t, key))
        return out

    themes = []
    for theme in codebook.themes:
        item = entry(theme)
        subs = [entry(s) for s in codebook.subthemes(theme.id)]
        if subs:
            item["subthemes"] = subs
        themes.append(item)
    data: dict[str, Any] = {"name": codebook.name}
    if codebook.description:
        data["description"] = codebook.description
    data["themes"] = themes
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


# --------------------------------------------------------------------------- YAML


def _read_yaml(path: Path, text: str) -> tuple[str, str, list[_Draft]]:
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise CodebookError(
            path,
            f"not valid YAML{where}: {problem}; check indentation and that text containing ':' "
            "is in quotes",
        ) from None
    if data is None:
        raise CodebookError(path, "the codebook is empty; add a 'themes:' list with at least one theme")
    return _read_mapping(path, data)


def _read_mapping(path: Path, data: Any) -> tuple[str, str, list[_Draft]]:
    """Entries from a parsed YAML document (or a REFI-QDA codebook read into the same shape)."""
    if not isinstance(data, Mapping):
        raise CodebookError(
            path, "the top level must be a mapping with 'name', 'description' and 'themes'"
        )
    _check_keys(path, data, _TOP_KEYS, entry=None)
    name = _opt_str(path, data, "name", entry=None) or path.stem
    description = _opt_str(path, data, "description", entry=None)
    themes = data.get("themes")
    if themes is None or themes == []:
        raise CodebookError(
            path, "the codebook is empty; add at least one theme under 'themes:'", field="themes"
        )
    if not isinstance(themes, list):
        raise CodebookError(
            path,
            f"must be a list of themes (each starting with '- '), not {_type_name(themes)}",
            field="themes",
        )
    drafts: list[_Draft] = []
    for i, item in enumerate(themes, start=1):
        draft = _yaml_entry(path, item, f"theme #{i}", _THEME_KEYS, parent=None)
        subs = item.get("subthemes")
        if subs is not None:
            if not isinstance(subs, list):
                raise CodebookError(
                    path,
                    f"must be a list of subthemes (each starting with '- '), not {_type_name(subs)}",
                    entry=draft.id,
                    field="subthemes",
                )
            if draft.parent_ref is not None:
                raise CodebookError(
                    path,
                    "a subtheme cannot have subthemes of its own (at most two levels); move them "
                    "to a top-level theme",
                    entry=draft.id,
                    field="subthemes",
                )
            for j, sub in enumerate(subs, start=1):
                where = f"subtheme #{j} of '{draft.id}'"
                if isinstance(sub, Mapping) and "subthemes" in sub:
                    raise CodebookError(
                        path,
                        "nesting is deeper than two levels (theme → subtheme); a subtheme cannot "
                        "have 'subthemes'. Make it a separate theme or merge its children into it",
                        entry=_entry_name(sub, where),
                        field="subthemes",
                    )
                if isinstance(sub, Mapping) and "parent" in sub:
                    raise CodebookError(
                        path,
                        "a subtheme nested under a theme takes that theme as its parent; remove "
                        "'parent'",
                        entry=_entry_name(sub, where),
                        field="parent",
                    )
                draft.children.append(_yaml_entry(path, sub, where, _SUBTHEME_KEYS, parent=draft.id))
        drafts.append(draft)
    return name, description, drafts


def _yaml_entry(
    path: Path, item: Any, where: str, allowed: tuple[str, ...], parent: str | None
) -> _Draft:
    if not isinstance(item, Mapping):
        raise CodebookError(
            path,
            f"each entry must be a mapping of fields (id, label, definition, ...), not "
            f"{_type_name(item)}; start it with '- id: ...' and indent its fields",
            entry=where,
        )
    name = _entry_name(item, where)
    _check_keys(path, item, allowed, entry=name)
    raw_id = _opt_str(path, item, "id", entry=name)
    label = _opt_str(path, item, "label", entry=name)
    if not raw_id and not label:
        raise CodebookError(
            path, "needs a 'label' (and optionally an 'id'); add 'label: <short name>'", entry=name,
            field="label",
        )
    if raw_id:
        if not _SLUG_RE.match(raw_id):
            raise CodebookError(
                path,
                f"'{raw_id}' is not a valid id: use lowercase letters, digits and single hyphens, "
                f"e.g. '{slugify(raw_id) or 'my-theme'}'",
                entry=name,
                field="id",
            )
        entry_id = raw_id
    else:
        entry_id = slugify(label)
        if not entry_id:
            raise CodebookError(
                path, "cannot derive an id from this label; add an 'id' such as 'my-theme'",
                entry=name, field="id",
            )
    definition = _opt_str(path, item, "definition", entry=entry_id)
    group = item.get("group", False) if "group" in allowed else False
    if not isinstance(group, bool):
        raise CodebookError(path, "must be true or false", entry=entry_id, field="group")
    if not definition and not group:
        raise CodebookError(
            path,
            "missing definition; add 'definition: <what this code covers>' so coders and the "
            "aligner know what belongs here",
            entry=entry_id,
            field="definition",
        )
    parent_ref = (_opt_str(path, item, "parent", entry=entry_id) or None) if "parent" in allowed else None
    return _Draft(
        id=entry_id,
        label=label or entry_id,
        definition=definition,
        where=where,
        parent_ref=parent_ref,
        nested_parent=parent,
        keywords=_str_list(path, item, "keywords", entry_id, example="[salary, pay, pension]"),
        examples=_str_list(path, item, "examples", entry_id, example='["a short quote", "another"]'),
        include=_opt_str(path, item, "include", entry=entry_id),
        exclude=_opt_str(path, item, "exclude", entry=entry_id),
        group=group,
        question=_opt_str(path, item, "question", entry=entry_id),
    )


def _entry_name(item: Any, where: str) -> str:
    if isinstance(item, Mapping):
        for key in ("id", "label"):
            value = item.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return where


def _check_keys(path: Path, item: Mapping[Any, Any], allowed: tuple[str, ...], entry: str | None) -> None:
    for key in item:
        if key in allowed:
            continue
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed fields: {', '.join(allowed)}"
        raise CodebookError(path, f"unknown field '{key}'; {hint}", entry=entry, field=str(key))


def _opt_str(path: Path, item: Mapping[Any, Any], key: str, entry: str | None) -> str:
    value = item.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise CodebookError(
            path, f"must be text, not {_type_name(value)}; write it on one line after '{key}:'",
            entry=entry, field=key,
        )
    return " ".join(str(value).split())


def _str_list(path: Path, item: Mapping[Any, Any], key: str, entry: str, example: str) -> tuple[str, ...]:
    value = item.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise CodebookError(
            path,
            f"must be a list, not {_type_name(value)}; write e.g. '{key}: {example}' or one "
            "'- item' per line",
            entry=entry,
            field=key,
        )
    out: list[str] = []
    for n, element in enumerate(value, start=1):
        if isinstance(element, bool) or not isinstance(element, str | int | float):
            raise CodebookError(
                path, f"item {n} must be text, not {_type_name(element)}; put quotes around it",
                entry=entry, field=key,
            )
        cleaned = " ".join(str(element).split())
        if cleaned:
            out.append(cleaned)
    return tuple(out)


def _type_name(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "empty"
    return f"a {type(value).__name__}"


# --------------------------------------------------------------------------- CSV


def _read_csv(path: Path, text: str) -> list[_Draft]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise CodebookError(path, "the codebook is empty; add a header row and one row per theme") from None
    except csv.Error as exc:
        raise CodebookError(path, f"not valid CSV: {exc}") from None
    columns = [slugify(h).replace("-", "_") for h in header]
    index = {c: i for i, c in reversed(list(enumerate(columns)))}
    id_col = next((c for c in _CSV_ID_COLUMNS if c in index), None)
    def_col = next((c for c in _CSV_DEFINITION_COLUMNS if c in index), None)
    if id_col is None:
        raise CodebookError(
            path, f"no name column; the header row has {header}; name one column 'name', 'tag' or 'code'",
            field="name",
        )
    if def_col is None:
        raise CodebookError(
            path,
            f"no definition column; the header row has {header}; name one column 'definition' or "
            "'description'",
            field="definition",
        )

    def cell(row: list[str], column: str) -> str:
        i = index.get(column)
        return " ".join(row[i].split()) if i is not None and i < len(row) else ""

    drafts: list[_Draft] = []
    try:
        for row in reader:
            if not any(c.strip() for c in row):
                continue
            line = reader.line_num
            name = cell(row, id_col)
            where = f"row {len(drafts) + 1} (line {line})"
            if not name:
                raise CodebookError(
                    path, f"{where} has an empty '{header[index[id_col]]}'; give every row a name",
                    entry=where, field=header[index[id_col]],
                )
            entry_id = slugify(name)
            if not entry_id:
                raise CodebookError(
                    path, "cannot derive an id from this name; use letters or digits",
                    entry=name, field=header[index[id_col]],
                )
            definition = cell(row, def_col)
            if not definition:
                raise CodebookError(
                    path,
                    f"missing definition on line {line}; fill the '{header[index[def_col]]}' column",
                    entry=entry_id,
                    field=header[index[def_col]],
                )
            keywords = tuple(k.strip() for k in cell(row, "keywords").split(KEYWORD_SEPARATOR) if k.strip())
            examples = tuple(e.strip() for e in cell(row, "examples").split(EXAMPLE_SEPARATOR) if e.strip())
            drafts.append(
                _Draft(
                    id=entry_id,
                    label=cell(row, "label") or name,
                    definition=definition,
                    where=where,
                    parent_ref=cell(row, "parent") or None,
                    keywords=keywords,
                    examples=examples,
                    include=cell(row, "include"),
                    exclude=cell(row, "exclude"),
                    question=cell(row, "question"),
                )
            )
    except csv.Error as exc:
        raise CodebookError(path, f"not valid CSV near line {reader.line_num}: {exc}") from None
    if not drafts:
        raise CodebookError(path, "the codebook is empty; add one row per theme below the header")
    return drafts


# --------------------------------------------------------------------------- checks


def _near_miss(reference: str, flat: list[_Draft]) -> bool:
    """Whether ``reference`` looks like a misspelt id or label of a defined entry."""
    names = [d.id for d in flat if not d.group] + [d.label.casefold() for d in flat if not d.group]
    return bool(difflib.get_close_matches(reference.casefold(), names, n=1, cutoff=0.85)) or bool(
        difflib.get_close_matches(slugify(reference), names, n=1, cutoff=0.85)
    )


def _group(reference: str, seen: dict[str, _Draft], flat: list[_Draft], child: _Draft, notes: list[str]) -> _Draft:
    """The implicit group entry named ``reference``, made now (placed before its first child)."""
    group = _Draft(id=slugify(reference), label=reference, definition="", where=f"group '{reference}'", group=True)
    if not group.id or group.id in seen:
        return seen.get(group.id) if group.id else None  # type: ignore[return-value]
    seen[group.id] = group
    flat.insert(flat.index(child), group)
    notes.append(f"'{reference}' is not defined in the file; it is kept as a group of codes (never coded itself)")
    return group


def _resolve(path: Path, drafts: list[_Draft], *, groups_allowed: bool = False,
             notes: list[str] | None = None) -> tuple[Theme, ...]:
    """Check ids, resolve flat ``parent`` references, return entries in file order.

    With ``groups_allowed`` (CSV codebooks), a parent that names no entry becomes a group entry."""
    notes = [] if notes is None else notes
    flat: list[_Draft] = []
    for d in drafts:
        flat.append(d)
        flat.extend(d.children)
    seen: dict[str, _Draft] = {}
    for d in flat:
        if d.id == UNASSIGNED:
            raise CodebookError(
                path,
                f"'{UNASSIGNED}' is reserved for segments that match no theme; choose another "
                "id or label",
                entry=d.id,
                field="id",
            )
        if d.id in seen:
            raise CodebookError(
                path,
                f"duplicate id '{d.id}' ({seen[d.id].where} and {d.where}); every theme and "
                "subtheme needs its own id — rename one of them",
                entry=d.id,
                field="id",
            )
        seen[d.id] = d
    by_label = {d.label.casefold(): d for d in reversed(flat)}
    parents: dict[str, str | None] = {}
    for d in list(flat):
        if d.nested_parent is not None:
            parents[d.id] = d.nested_parent
            continue
        if d.parent_ref is None:
            parents[d.id] = None
            continue
        target = seen.get(d.parent_ref) or by_label.get(d.parent_ref.casefold()) or seen.get(
            slugify(d.parent_ref)
        )
        if target is None and groups_allowed and not _near_miss(d.parent_ref, flat):
            target = _group(d.parent_ref, seen, flat, d, notes)
            if target is not None:
                parents.setdefault(target.id, None)
        if target is None:
            raise CodebookError(
                path,
                f"parent '{d.parent_ref}' does not exist; use the id or name of a theme defined in "
                "this file, or leave it empty for a top-level theme",
                entry=d.id,
                field="parent",
            )
        if target is d:
            raise CodebookError(path, "an entry cannot be its own parent", entry=d.id, field="parent")
        parents[d.id] = target.id
    for d in flat:
        parent = parents[d.id]
        if parent is not None and parents[parent] is not None:
            raise CodebookError(
                path,
                f"nesting is deeper than two levels: parent '{parent}' is itself a subtheme of "
                f"'{parents[parent]}'; point 'parent' at a top-level theme",
                entry=d.id,
                field="parent",
            )
    return tuple(
        Theme(
            id=d.id,
            label=d.label,
            definition=d.definition,
            parent=parents[d.id],
            keywords=d.keywords,
            examples=d.examples,
            include=d.include,
            exclude=d.exclude,
            group=d.group,
            question=d.question or (seen[parents[d.id]].question if parents[d.id] else ""),  # type: ignore[index]
        )
        for d in flat
    )
