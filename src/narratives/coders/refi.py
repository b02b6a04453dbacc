"""REFI-QDA exchange: projects (``.qdpx``) and codebooks (``.qdc``) for NVivo, ATLAS.ti,
MAXQDA, QualCoder and other QDA tools.

Positions. The standard (REFI-QDA 1.5, section 10.2) defines text selections by Unicode
code points from 0 on the source's plain text. Each document is exported as the text
``narratives`` analysed: UTF-8 without a byte-order mark, LF line endings (the loaders
turn CRLF and CR into LF, so a CRLF transcript is exported with LF and positions count
one character per line break). ``startPosition`` is the first code point of the quote
and ``endPosition`` the one just after it (Python slicing, as QualCoder writes them), so
``text[startPosition:endPosition]`` is the quote. Python strings index code points, so
Urdu script and characters outside the Basic Multilingual Plane (emoji) count one each,
as the standard says, not two UTF-16 units.

GUIDs are stable: derived from the codebook, document and segment ids, so exporting the
same run twice gives the same file, byte for byte.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element, SubElement

from narratives.codebook.qdc import (
    children,
    code_elements,
    description_of,
    guid,
    local_name,
    tagged_id,
    xml_bytes,
)
from narratives.codebook.records import NONE_CODE
from narratives.coders.records import Candidate
from narratives.errors import InputError
from narratives.models import Codebook, Document
from narratives.prevalence.records import RandomSample
from narratives.reports.run_dir import SavedRun
from narratives.safe_files import KIND_NAMES, check_zip, file_kind, parse_xml, read_member

__all__ = [
    "MACHINE_USER",
    "ProjectSelection",
    "export_project",
    "guid",
    "read_project",
]

PROJECT_NS = "urn:QDA-XML:project:1.0"
MACHINE_USER = "narratives (machine proposal)"
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
_UNITS_LINE = "narratives units: "
"""Start of the project description line listing the units the project shows, by id."""
_SAMPLE_LINE = "narratives sample: "
"""Start of the project description line recording how a random verification sample was drawn."""
_SOURCES_LINE = "narratives sources: "
"""Start of the line giving each exported source's text hash (``name=sha256 prefix``): a source a coder
edited is found on return, whatever the tool did to its name, GUID, byte-order mark or line ends."""
_PROPOSALS_LINE = "narratives proposals: "
"""Start of the line saying whether the machine's codings were exported (``shown``) or not (``hidden``,
a blind project): only then can a returned project tell a review from a file given back untouched."""


def text_hash(text: str) -> str:
    """The hash of a source's text as exported (UTF-8, LF line ends), as the project description keeps it."""
    import hashlib

    return hashlib.sha256(text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")).hexdigest()[:16]


def _variable_type(values: Iterable[str]) -> str:
    vals = [v for v in values if v != ""]
    return "Integer" if vals and all(v.lstrip("-").isdigit() for v in vals) else "Text"


def _note(c: Candidate, model: str, created: str) -> str:
    if c.code == NONE_CODE:
        return (f"narratives found no code for this passage (best score {c.score:.3f}; model {model}; run of "
                f"{created}). Segment {c.unit_id}. Leave it uncoded if no code fits, or code the selection.")
    code = f"{c.theme} / {c.subtheme}" if c.subtheme else c.theme
    return (
        f"Proposed by narratives: {code}, score {c.score:.3f} (model {model}; run of {created}). "
        f"Segment {c.unit_id}. Keep this coding to accept it, delete it to reject it, or code "
        "the selection with another code to recode it."
    )


def export_project(
    run: SavedRun,
    units: Sequence[Candidate],
    out: Path,
    *,
    documents: dict[str, Document] | None = None,
    coder: str | None = None,
    blind: bool = False,
    origin: str,
    sample: RandomSample | None = None,
) -> Path:
    """Write a ``.qdpx`` project: codebook, users, variables, cases, sources, selections.

    ``documents`` replaces the run's documents (e.g. de-identified texts, whose offsets the
    ``units`` already use). ``coder`` adds a user for the coder the file is meant for.
    ``blind`` leaves the machine's codings out: each candidate is a selection to code.
    """
    documents = run.documents if documents is None else documents
    created = utc_time(str(run.manifest.get("created", "2026-01-01T00:00:00+00:00")))
    root = Element(
        "Project", xmlns=PROJECT_NS, name=f"narratives: {run.codebook.name}", origin=origin,
        creationDateTime=created,
    )
    machine = guid("user", MACHINE_USER)
    users = SubElement(root, "Users")
    SubElement(users, "User", guid=machine, name=MACHINE_USER)
    if coder:
        SubElement(users, "User", guid=guid("user", coder), name=coder)
    code_ids = code_elements(SubElement(SubElement(root, "CodeBook"), "Codes"), run.codebook)

    used = sorted({u.doc_id for u in units} | set(documents))
    columns = sorted({k for d in documents.values() for k in d.metadata})
    var_ids = {c: guid("variable", c) for c in columns}
    var_kinds = {c: _variable_type(d.metadata.get(c, "") for d in documents.values()) for c in columns}
    if columns:
        variables = SubElement(root, "Variables")
        for c in columns:
            SubElement(variables, "Variable", guid=var_ids[c], name=c, typeOfVariable=var_kinds[c])

    # a case per participant (or per document without one), carrying its attributes
    cases: dict[str, list[str]] = {}
    for doc_id in used:
        d = documents[doc_id]
        cases.setdefault(d.metadata.get("participant") or doc_id, []).append(doc_id)
    source_ids = {doc_id: guid("source", doc_id) for doc_id in used}
    if columns:
        cases_el = SubElement(root, "Cases")
        for name, doc_ids in sorted(cases.items()):
            case = SubElement(cases_el, "Case", guid=guid("case", name), name=name)
            meta = documents[doc_ids[0]].metadata
            for c in columns:
                if meta.get(c, "") != "":
                    _variable_value(case, var_ids[c], meta[c], _variable_type([meta[c]]))
            for doc_id in doc_ids:
                SubElement(case, "SourceRef", targetGUID=source_ids[doc_id])

    by_doc: dict[str, list[Candidate]] = {}
    for u in units:
        by_doc.setdefault(u.doc_id, []).append(u)
    files: dict[str, bytes] = {}
    sources = SubElement(root, "Sources")
    for doc_id in used:
        d = documents[doc_id]
        sid = source_ids[doc_id]
        src = SubElement(
            sources, "TextSource", guid=sid, name=doc_id, plainTextPath=f"internal://{sid}.txt",
            creatingUser=machine, creationDateTime=created,
        )
        SubElement(src, "Description").text = f"{d.title} ({d.kind}; from {d.source})"
        # the folder in lower case, as the standard (section 8.1) says and ATLAS.ti requires
        files[f"sources/{sid}.txt"] = d.text.encode("utf-8")
        for u in sorted(by_doc.get(doc_id, []), key=lambda c: (c.start, c.unit_id)):
            if d.text[u.start : u.end] != u.text:
                raise InputError(f"segment {u.unit_id}: offsets {u.start}-{u.end} do not cut its text in {doc_id}")
            sel = SubElement(
                src, "PlainTextSelection", guid=guid("selection", u.unit_id), name=u.unit_id,
                startPosition=str(u.start), endPosition=str(u.end), creatingUser=machine,
                creationDateTime=created,
            )
            if blind:
                SubElement(sel, "Description").text = f"Segment {u.unit_id}: code this selection."
                continue
            SubElement(sel, "Description").text = _note(u, run.model, created)
            if u.code == NONE_CODE:  # the machine proposes no code: code the selection if one fits
                continue
            coding = SubElement(sel, "Coding", guid=guid("coding", u.unit_id, u.code), creatingUser=machine,
                                creationDateTime=created)
            SubElement(coding, "CodeRef", targetGUID=code_ids[u.code])
        # the attributes on the source too: QualCoder, for one, ignores a case's SourceRef
        for c in columns:
            if d.metadata.get(c, "") != "":
                _variable_value(src, var_ids[c], d.metadata[c], var_kinds[c])
    SubElement(root, "Description").text = (
        f"Candidate quotes proposed by narratives with codebook '{run.codebook.name}' and model {run.model}, "
        f"run of {created}. Positions are Unicode code points on each source's plain text.\n"
        # which units were shown survives tools that rename selections and replace GUIDs (QualCoder keeps
        # the project memo): a proposal whose coding is gone on return was rejected
        f"{_UNITS_LINE}{' '.join(u.unit_id for u in units)}\n"
        f"{_PROPOSALS_LINE}{'hidden' if blind else 'shown'}\n"
        f"{_SOURCES_LINE}{' '.join(f'{doc_id}={text_hash(documents[doc_id].text)}' for doc_id in used)}"
        + (f"\n{_SAMPLE_LINE}{sample}" if sample is not None else "")
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in [("project.qde", xml_bytes(root)), *sorted(files.items())]:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return out


def utc_time(value: str) -> str:
    """An ISO time in UTC as ``…Z``, the form every tool reads back (QualCoder appends a ``Z`` to
    what it was given, so ``+00:00`` came back as ``+00:00Z``, which ``Project.xsd`` refuses)."""
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _variable_value(parent: Element, var_guid: str, value: str, kind: str) -> None:
    vv = SubElement(parent, "VariableValue")
    SubElement(vv, "VariableRef", targetGUID=var_guid)
    SubElement(vv, "IntegerValue" if kind == "Integer" else "TextValue").text = value


# ---------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class ProjectSelection:
    """A text selection read from a ``.qdpx``, with the codes on it and who coded them.

    ``source`` is the TextSource's name (the doc_id it was exported as); ``codings`` are
    ``(code, user name)`` pairs.
    """

    source: str
    guid: str
    name: str
    start: int
    end: int
    codings: tuple[tuple[str, str], ...]
    text: str = ""
    """The selected text (positions on the source's text with LF line ends)."""


@dataclass(frozen=True)
class ReturnedProject:
    """A ``.qdpx`` back from a QDA tool: its selections, the source texts (LF line ends, no
    byte-order mark) by source name, and the units narratives listed as shown."""

    selections: tuple[ProjectSelection, ...]
    sources: dict[str, str]
    shown_units: tuple[str, ...] | None
    sample: RandomSample | None = None
    """How the units were drawn, when they are a random verification sample."""
    exported: dict[str, str] | None = None
    """Each source's text hash as exported (:func:`text_hash`), by source name; ``None`` for a project
    exported before narratives recorded them, or whose description a tool dropped."""
    blind: bool | None = None
    """Whether the machine's codings were left out on export; ``None`` when the project does not say."""


def read_project(path: Path, codebook: Codebook) -> ReturnedProject:
    """Text selections and their codings in a ``.qdpx`` coming back from a QDA tool.

    A coding's code is the codebook entry id, matched by the GUID narratives gave it, the
    ``narratives id:`` line of its description, or its name/label; codes the codebook does
    not know keep their name. Source texts lose a byte-order mark and CRLF line ends, and
    positions are mapped to the LF text: as the standard says they count the file's code
    points (CRs included), unless the selection's name is its text and shows they count LF
    text (MAXQDA writes CRLF text with LF positions). The project file may have any name
    ending in ``.qde`` (ATLAS.ti uses the project's), the sources folder any case.
    """
    from narratives.codebook import code_index, find_code

    kind = file_kind(path)
    if kind not in ("qdpx", "zip", None):
        raise InputError(f"{path}: this is {KIND_NAMES[kind]}, not a REFI-QDA project (.qdpx); export the project "
                         "from the QDA tool as REFI-QDA")
    archive = check_zip(path)
    with archive:
        projects = [n for n in archive.namelist() if n.lower().endswith(".qde")]
        if not projects:
            raise InputError(f"{path}: no project.qde inside; is this a REFI-QDA project (.qdpx)?")
        if len(projects) > 1:
            raise InputError(
                f"{path}: holds {len(projects)} project files ({', '.join(projects)}), and a REFI-QDA project has "
                "one: which one the coder worked in cannot be told. Export the project again from the QDA tool"
            )
        qde = projects[0]
        root = parse_xml(read_member(archive, qde, path), f"{path}:{qde}")
        if local_name(root.tag) != "Project":
            raise InputError(f"{path}: {qde} is not a REFI-QDA project")
        known = {guid("code", codebook.name, e.id): e.id for e in codebook.entries}
        index = code_index(codebook)
        code_names: dict[str, str] = {}
        users = {u.get("guid", "").upper(): u.get("name", "") for el in children(root, "Users") for u in el}
        for codes_el in (c for cb in children(root, "CodeBook") for c in children(cb, "Codes")):
            stack = list(children(codes_el, "Code"))
            while stack:
                code = stack.pop()
                g = str(code.get("guid", "")).upper()
                tagged = tagged_id(description_of(code))
                name = str(code.get("name", ""))
                code_names[g] = known.get(g) or (tagged if tagged in index.values() else None) \
                    or find_code(index, name) or name
                stack.extend(children(code, "Code"))
        out: list[ProjectSelection] = []
        texts: dict[str, str] = {}
        for sources in children(root, "Sources"):
            for src in children(sources, "TextSource"):
                text = _source_text(archive, src, path)
                plain = None if text is None else text.replace("\r\n", "\n").replace("\r", "\n")
                if plain is not None:
                    texts[str(src.get("name", ""))] = plain
                for sel in children(src, "PlainTextSelection"):
                    try:
                        start, end = int(sel.get("startPosition", "")), int(sel.get("endPosition", ""))
                    except ValueError:
                        raise InputError(f"{path}: a selection in source '{src.get('name')}' has no valid "
                                         "startPosition/endPosition") from None
                    if text is not None and plain is not None and "\r" in text:
                        start, end = _lf_positions(text, plain, start, end, str(sel.get("name", "")))
                    codings = []
                    for coding in children(sel, "Coding"):
                        ref = next(iter(children(coding, "CodeRef")), None)
                        if ref is None:
                            continue
                        target = str(ref.get("targetGUID", "")).upper()
                        user = users.get(str(coding.get("creatingUser", "")).upper(), "")
                        codings.append((code_names.get(target, target), user))
                    out.append(ProjectSelection(str(src.get("name", "")), str(sel.get("guid", "")).upper(),
                                                str(sel.get("name", "")), start, end, tuple(codings),
                                                plain[start:end] if plain is not None else ""))
        description = next((c.text or "" for c in children(root, "Description")), "")
        listed, drawn, hashes, proposals = (_described(description, line) for line in (
            _UNITS_LINE, _SAMPLE_LINE, _SOURCES_LINE, _PROPOSALS_LINE))
    return ReturnedProject(
        tuple(out), texts, None if listed is None else tuple(listed.split()),
        None if drawn is None else RandomSample.parse(drawn),
        None if hashes is None else dict(item.rpartition("=")[::2] for item in hashes.split()),
        None if proposals is None else proposals.strip() == "hidden",
    )


def _described(description: str, start: str) -> str | None:
    """The rest of the project description's first line that begins with ``start``; ``None`` if none does."""
    return next((line.removeprefix(start) for line in description.splitlines() if line.startswith(start)), None)


def _lf_positions(text: str, plain: str, start: int, end: int, name: str) -> tuple[int, int]:
    """Positions on ``plain`` (``text`` with LF line ends) for a selection given on ``text``."""
    mapped = start - text.count("\r", 0, start), end - text.count("\r", 0, end)
    if end > len(plain) or (name and " ".join(plain[mapped[0]:mapped[1]].split()) == " ".join(name.split())):
        return mapped
    if name and " ".join(plain[start:end].split()) == " ".join(name.split()):
        return start, end
    return mapped


def _source_text(archive: zipfile.ZipFile, src: Element, path: Path) -> str | None:
    inline = next((c.text for c in children(src, "PlainTextContent")), None)
    if inline is not None:
        return inline
    ref = str(src.get("plainTextPath", ""))
    if not ref.startswith("internal://"):
        return None
    wanted = "sources/" + ref.removeprefix("internal://").lower()
    for name in archive.namelist():
        if name.lower() == wanted:
            return read_member(archive, name, path).decode("utf-8-sig", errors="replace")
    return None
