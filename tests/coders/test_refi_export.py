"""REFI-QDA export: valid against the shared schemas, and selections cut exactly the quotes."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from narratives.align import load_codebook
from narratives.coders.candidates import candidates
from narratives.coders.export import export_run
from narratives.coders.refi import PROJECT_NS, read_project
from narratives.reports.run_dir import load_run

lxml_etree = pytest.importorskip("lxml.etree")


def _schema(shared_dir: Path, name: str):  # type: ignore[no-untyped-def]
    path = shared_dir / "schemas" / "refi-qda" / name
    if not path.is_file():
        pytest.skip(f"{path} is absent (the REFI-QDA schemas live in ../shared)")
    return lxml_etree.XMLSchema(lxml_etree.parse(str(path)))


def _selections(qdpx: Path) -> list[tuple[str, str, int, int]]:
    """(source name, selection name, start, end) and check that every source file exists."""
    ns = {"q": PROJECT_NS}
    with zipfile.ZipFile(qdpx) as zf:
        root = lxml_etree.fromstring(zf.read("project.qde"))
        out = []
        for src in root.iterfind("q:Sources/q:TextSource", ns):
            assert src.get("plainTextPath").startswith("internal://")
            for sel in src.iterfind("q:PlainTextSelection", ns):
                out.append((src.get("name"), sel.get("name"), int(sel.get("startPosition")),
                            int(sel.get("endPosition"))))
    return out


def _source_texts(qdpx: Path) -> dict[str, str]:
    ns = {"q": PROJECT_NS}
    with zipfile.ZipFile(qdpx) as zf:
        root = lxml_etree.fromstring(zf.read("project.qde"))
        return {
            src.get("name"): zf.read("sources/" + src.get("plainTextPath").removeprefix("internal://")).decode("utf-8")
            for src in root.iterfind("q:Sources/q:TextSource", ns)
        }


def test_demo_project_is_valid_and_cuts_every_quote(demo_run, shared_dir: Path, tmp_path: Path) -> None:
    _, run_dir = demo_run
    schema = _schema(shared_dir, "Project.xsd")
    result = export_run(run_dir, "qdpx", tmp_path / "demo.qdpx")
    qdpx = result.files[0]
    with zipfile.ZipFile(qdpx) as zf:
        assert schema.validate(lxml_etree.fromstring(zf.read("project.qde"))), schema.error_log
    quotes = pd.read_csv(run_dir / "quotes.csv", dtype=str)
    texts = _source_texts(qdpx)
    selections = _selections(qdpx)
    assert len(selections) == quotes["segment_id"].nunique() == result.units > 0
    by_id = dict(zip(quotes["segment_id"], quotes["text"], strict=False))
    for source, name, start, end in selections:
        assert texts[source][start:end] == by_id[name]
    # the codebook is there as a theme → subtheme hierarchy, with definitions
    with zipfile.ZipFile(qdpx) as zf:
        root = lxml_etree.fromstring(zf.read("project.qde"))
    top = root.findall(f"{{{PROJECT_NS}}}CodeBook/{{{PROJECT_NS}}}Codes/{{{PROJECT_NS}}}Code")
    assert len(top) == 6 and all(len(t.findall(f"{{{PROJECT_NS}}}Code")) == 2 for t in top)
    # participant attributes as variables on cases, and on every source too (QualCoder reads them there,
    # and ignores a case's SourceRef)
    assert root.find(f"{{{PROJECT_NS}}}Variables") is not None
    assert len(root.findall(f"{{{PROJECT_NS}}}Cases/{{{PROJECT_NS}}}Case")) >= 13
    interviews = [s for s in root.iterfind(f"{{{PROJECT_NS}}}Sources/{{{PROJECT_NS}}}TextSource")
                  if s.get("name", "").startswith("int-")]
    assert interviews and all(s.findall(f"{{{PROJECT_NS}}}VariableValue") for s in interviews)
    # times in UTC as ...Z, which tools write back unchanged
    assert all(el.get("creationDateTime").endswith("Z") and "+" not in el.get("creationDateTime")
               for el in root.iter() if el.get("creationDateTime"))


def test_export_is_byte_identical_on_repeat(demo_run, tmp_path: Path) -> None:
    _, run_dir = demo_run
    a = export_run(run_dir, "qdpx", tmp_path / "a.qdpx").files[0].read_bytes()
    b = export_run(run_dir, "qdpx", tmp_path / "b.qdpx").files[0].read_bytes()
    assert a == b


def test_crlf_urdu_and_emoji_positions_are_code_points(special_run: Path, shared_dir: Path, tmp_path: Path) -> None:
    schema = _schema(shared_dir, "Project.xsd")
    qdpx = export_run(special_run, "qdpx", tmp_path / "special.qdpx", units="assigned").files[0]
    with zipfile.ZipFile(qdpx) as zf:
        assert schema.validate(lxml_etree.fromstring(zf.read("project.qde"))), schema.error_log
        raw = {n: zf.read(n) for n in zf.namelist() if n.startswith("sources/")}
    assert all(b"\r" not in data and not data.startswith(b"\xef\xbb\xbf") for data in raw.values())
    texts = _source_texts(qdpx)
    run = load_run(special_run)
    units = {u.unit_id: u for u in candidates(run, "assigned")}
    checked_after_emoji = checked_urdu = 0
    for source, name, start, end in _selections(qdpx):
        text = texts[source]
        assert text[start:end] == units[name].text
        before = text[:start]
        if any(ord(ch) > 0xFFFF for ch in before):  # an emoji earlier in the text
            checked_after_emoji += 1
            utf16_start = len(before.encode("utf-16-le")) // 2
            assert start < utf16_start  # counted in code points, not UTF-16 units
        if "تنخواہ" in text[start:end]:
            checked_urdu += 1
    assert checked_after_emoji >= 2 and checked_urdu == 1
    # the original file had CRLF line endings: positions are on the LF text we exported
    original = next(p for p in Path(run.documents["p1-urdu-emoji"].source).parent.glob("p1-*.txt"))
    assert b"\r\n" in original.read_bytes()


def test_codebook_qdc_is_valid_and_imports_back(demo_run, shared_dir: Path, tmp_path: Path) -> None:
    _, run_dir = demo_run
    schema = _schema(shared_dir, "Codebook.xsd")
    qdc = export_run(run_dir, "qdc", tmp_path / "codebook.qdc").files[0]
    assert schema.validate(lxml_etree.parse(str(qdc))), schema.error_log
    original = load_run(run_dir).codebook
    back = load_codebook(qdc)
    fields = ("id", "label", "parent", "definition", "include", "exclude", "keywords")
    assert [tuple(getattr(e, f) for f in fields) for e in back.entries] == [
        tuple(getattr(e, f) for f in fields) for e in original.entries
    ]


def test_qdc_from_another_tool_becomes_a_codebook(tmp_path: Path) -> None:
    """Three levels and no descriptions, as NVivo users often have."""
    qdc = tmp_path / "nvivo.qdc"
    qdc.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        '<Code guid="11111111-1111-1111-1111-111111111111" name="Push factors" isCodable="false">'
        '<Description>Reasons to leave.</Description>'
        '<Code guid="22222222-2222-2222-2222-222222222222" name="Pay" isCodable="true">'
        '<Code guid="33333333-3333-3333-3333-333333333333" name="Late stipends" isCodable="true"/></Code>'
        '</Code></Codes></CodeBook>',
        encoding="utf-8",
    )
    cb = load_codebook(qdc)
    assert [e.id for e in cb.themes] == ["push-factors"]
    assert [e.label for e in cb.subthemes("push-factors")] == ["Pay", "Pay › Late stipends"]
    assert cb.get("pay").definition == "Pay"  # no description: the name stands in


def test_project_read_back_maps_crlf_positions(special_run: Path, tmp_path: Path) -> None:
    """A tool that writes the source back with CRLF counts each CR; we map positions back."""
    qdpx = export_run(special_run, "qdpx", tmp_path / "p.qdpx", units="assigned").files[0]
    crlf = tmp_path / "crlf.qdpx"
    with zipfile.ZipFile(qdpx) as src, zipfile.ZipFile(crlf, "w") as dst:
        qde = src.read("project.qde").decode("utf-8")
        texts = {n: src.read(n).decode("utf-8") for n in src.namelist() if n.startswith("sources/")}
        root = lxml_etree.fromstring(qde.encode("utf-8"))
        for source in root.iterfind(f"{{{PROJECT_NS}}}Sources/{{{PROJECT_NS}}}TextSource"):
            text = texts["sources/" + source.get("plainTextPath").removeprefix("internal://")]
            for sel in source.iterfind(f"{{{PROJECT_NS}}}PlainTextSelection"):
                for attr in ("startPosition", "endPosition"):
                    pos = int(sel.get(attr))
                    sel.set(attr, str(pos + text.count("\n", 0, pos)))
        dst.writestr("project.qde", lxml_etree.tostring(root))
        for name, text in texts.items():
            dst.writestr(name, text.replace("\n", "\r\n").encode("utf-8"))
    codebook = load_run(special_run).codebook
    original = {(s.source, s.name): (s.start, s.end) for s in read_project(qdpx, codebook).selections}
    mapped = {(s.source, s.name): (s.start, s.end) for s in read_project(crlf, codebook).selections}
    assert mapped == original and len(original) > 5


def test_project_read_back_from_atlas_ti_and_maxqda_shapes(special_run: Path, tmp_path: Path) -> None:
    """ATLAS.ti names the project file after the project; MAXQDA writes CRLF text but LF positions
    (its selections are named by their text, which shows it)."""
    qdpx = export_run(special_run, "qdpx", tmp_path / "p.qdpx", units="assigned").files[0]
    other = tmp_path / "maxqda.qdpx"
    with zipfile.ZipFile(qdpx) as src, zipfile.ZipFile(other, "w") as dst:
        root = lxml_etree.fromstring(src.read("project.qde"))
        texts = {n: src.read(n).decode("utf-8") for n in src.namelist() if n.startswith("sources/")}
        for source in root.iterfind(f"{{{PROJECT_NS}}}Sources/{{{PROJECT_NS}}}TextSource"):
            text = texts["sources/" + source.get("plainTextPath").removeprefix("internal://")]
            for sel in source.iterfind(f"{{{PROJECT_NS}}}PlainTextSelection"):
                sel.set("name", text[int(sel.get("startPosition")):int(sel.get("endPosition"))])
        dst.writestr("Physician migration study.qde", lxml_etree.tostring(root))
        for name, text in texts.items():
            dst.writestr(name.replace("sources/", "Sources/"), text.replace("\n", "\r\n").encode("utf-8"))
    codebook = load_run(special_run).codebook
    original = [(s.source, s.start, s.end) for s in read_project(qdpx, codebook).selections]
    back = read_project(other, codebook)
    assert [(s.source, s.start, s.end) for s in back.selections] == original and len(original) > 5
    assert all(s.text == " ".join(s.name.split()) or s.text == s.name for s in back.selections)
