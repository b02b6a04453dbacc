"""REFI-QDA codebooks (``.qdc``), read and written, and the XML pieces projects share with them.

A codebook goes to a QDA tool as nested ``Code`` elements whose GUIDs are derived from the
codebook and entry ids (stable across exports), each with a ``Description`` holding the
definition, the include/exclude notes, the keywords and a ``narratives id:`` line that carries
the entry's id through tools that rename codes. Projects (:mod:`narratives.coders.refi`) use
the same elements.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from narratives.errors import CodebookError
from narratives.models import Codebook, Theme
from narratives.safe_files import parse_xml

__all__ = [
    "CODEBOOK_NS", "ID_LINE", "children", "code_elements", "description_of", "export_codebook_qdc", "guid",
    "local_name", "read_codebook_qdc", "tagged_id", "xml_bytes",
]

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"

_NAMESPACE = uuid.UUID("6f1c2b0e-4a57-5d0e-9a51-6e6172726174")  # fixed: GUIDs stay stable across versions

_PALETTE = ("#1B9E77", "#D95F02", "#7570B3", "#E7298A", "#66A61E", "#E6AB02", "#A6761D", "#666666")

ID_LINE = "narratives id: "
"""Start of the description line that carries a code's narratives id through other tools."""

def guid(*parts: str) -> str:
    """A stable upper-case GUID for the given identifying strings."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts))).upper()

def _definition(entry: Theme) -> str:
    lines = [entry.definition]
    if entry.include:
        lines.append(f"Include: {entry.include}")
    if entry.exclude:
        lines.append(f"Exclude: {entry.exclude}")
    if entry.keywords:
        lines.append("Keywords: " + ", ".join(entry.keywords))
    lines.append(f"{ID_LINE}{entry.id}")
    return "\n".join(lines)

def code_elements(parent: Element, codebook: Codebook) -> dict[str, str]:
    """Append the codebook as nested ``Code`` elements; return entry id → GUID."""
    ids: dict[str, str] = {}
    for i, theme in enumerate(codebook.themes):
        color = _PALETTE[i % len(_PALETTE)]
        ids[theme.id] = guid("code", codebook.name, theme.id)
        code = SubElement(parent, "Code", guid=ids[theme.id], name=theme.label, isCodable="true", color=color)
        SubElement(code, "Description").text = _definition(theme)
        for sub in codebook.subthemes(theme.id):
            ids[sub.id] = guid("code", codebook.name, sub.id)
            child = SubElement(code, "Code", guid=ids[sub.id], name=sub.label, isCodable="true", color=color)
            SubElement(child, "Description").text = _definition(sub)
    return ids

def xml_bytes(root: Element) -> bytes:
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(root, encoding="unicode").encode("utf-8")

def export_codebook_qdc(codebook: Codebook, out: Path, *, origin: str) -> Path:
    """Write ``codebook`` as a REFI-QDA codebook file (valid against ``Codebook.xsd``)."""
    root = Element("CodeBook", xmlns=CODEBOOK_NS, origin=origin)
    code_elements(SubElement(root, "Codes"), codebook)
    out.write_bytes(xml_bytes(root))
    return out

def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]

def children(el: Element, name: str) -> list[Element]:
    return [c for c in el if local_name(c.tag) == name]

def description_of(code: Element) -> str:
    return next((c.text or "" for c in children(code, "Description")), "")

def tagged_id(description: str) -> str | None:
    """The id on the description's ``narratives id:`` line, if it has one."""
    for line in description.splitlines():
        if line.startswith(ID_LINE) and line.removeprefix(ID_LINE).strip():
            return line.removeprefix(ID_LINE).strip()
    return None

def read_codebook_qdc(path: Path, raw: bytes) -> dict[str, Any]:
    """A ``.qdc`` codebook in the shape of a narratives YAML codebook (for ``load_codebook``).

    Top-level codes become themes, their child codes subthemes; codes nested deeper become
    subthemes of their top-level theme named "Child › Grandchild". A code's Description is
    its definition (its name when it has none). Non-codable codes (folders) still become
    themes when they hold codes.
    """
    root = parse_xml(raw, str(path))
    codes_el = next((c for c in root if local_name(c.tag) == "Codes"), None)
    if local_name(root.tag) not in ("CodeBook", "Project") or codes_el is None:
        raise CodebookError(path, "not a REFI-QDA codebook (no <CodeBook><Codes>); export the codebook as .qdc again")
    themes: list[dict[str, Any]] = []

    def entry(code: Element, name: str) -> dict[str, Any]:
        """Definition, include/exclude notes and keywords from the description's lines."""
        desc = description_of(code)
        item: dict[str, Any] = {"label": name}
        tagged = tagged_id(desc)
        if tagged:
            item["id"] = tagged
        definition: list[str] = []
        for line in desc.strip().splitlines():
            key, _, value = line.partition(": ")
            if line.startswith(ID_LINE):
                continue
            if key in ("Include", "Exclude") and value.strip():
                item[key.lower()] = value.strip()
            elif key == "Keywords" and value.strip():
                item["keywords"] = [k.strip() for k in value.split(",") if k.strip()]
            else:
                definition.append(line)
        item["definition"] = "\n".join(definition).strip() or name.strip()
        return item

    def descendants(code: Element, prefix: str) -> Iterable[tuple[Element, str]]:
        for child in children(code, "Code"):
            name = f"{prefix} › {child.get('name', '')}" if prefix else str(child.get("name", ""))
            yield child, name
            yield from descendants(child, name)

    for top in children(codes_el, "Code"):
        theme = entry(top, str(top.get("name", "")))
        subs = [entry(c, n) for c, n in descendants(top, "")]
        if subs:
            theme["subthemes"] = subs
        themes.append(theme)
    if not themes:
        raise CodebookError(path, "the codebook has no codes")
    return {"name": path.stem, "themes": themes}
