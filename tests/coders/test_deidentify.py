"""De-identified export: names replaced, offsets still exact, the map only where asked."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest

from narratives.coders.deidentify import deidentify
from narratives.coders.export import export_run
from narratives.coders.records import Candidate
from narratives.coders.refi import PROJECT_NS
from narratives.models import Document


def _unit(doc: Document, sentence: str) -> Candidate:
    start = doc.text.index(sentence)
    return Candidate("d:s", doc.doc_id, "x", "P1", start, start + len(sentence), sentence, "", "", "pay", "", 0.9)


def test_people_places_and_institutions_are_replaced_and_offsets_follow() -> None:
    text = (
        "Dr Ayesha Khan left Mayo Hospital in Lahore for Leeds General Infirmary in the United Kingdom. "
        "Her friend Bilal 😀 stayed at Aga Khan University. We all left Pakistan."
    )
    doc = Document("d", text, "transcript", "d", "x", ())
    units = [_unit(doc, "Her friend Bilal 😀 stayed at Aga Khan University."), _unit(doc, "We all left Pakistan.")]
    result = deidentify({"d": doc}, units, [("Bilal", "[PERSON]")])
    new = result.documents["d"].text
    for name in ("Ayesha", "Khan", "Mayo", "Lahore", "Leeds", "Bilal"):
        assert name not in new
    assert "[HOSPITAL]" in new and "[PERSON]" in new and "[CITY]" in new
    assert "United Kingdom" in new and "Pakistan" in new  # countries are the finding, not identifiers
    for u in result.units:
        assert new[u.start : u.end] == u.text
    assert result.units[0].text == "Her friend [PERSON] 😀 stayed at [INSTITUTION]."
    assert result.units[1].text == "We all left Pakistan."
    assert {r.original for r in result.replacements} >= {"Bilal", "Mayo Hospital", "Lahore"}


def test_deidentified_project_cuts_quotes_and_keeps_the_map_apart(demo_run, tmp_path: Path) -> None:
    lxml_etree = pytest.importorskip("lxml.etree")
    _, run_dir = demo_run
    plain = export_run(run_dir, "qdpx", tmp_path / "plain.qdpx", deidentify=True)
    assert plain.map_file is None and plain.replacements > 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.qdpx"]  # no map unless asked
    names = tmp_path / "names.txt"
    names.write_text("# people the participants named\nBurnley\t[CITY]\n", encoding="utf-8")
    result = export_run(run_dir, "qdpx", tmp_path / "deid.qdpx", deidentify=True, names=names,
                        deidentify_map=tmp_path / "private" / "map.csv")
    rows = list(csv.DictReader((tmp_path / "private" / "map.csv").open(encoding="utf-8")))
    assert len(rows) == result.replacements and any(r["original"] == "Burnley" for r in rows)
    with zipfile.ZipFile(result.files[0]) as zf:
        root = lxml_etree.fromstring(zf.read("project.qde"))
        texts = {}
        for src in root.iterfind(f"{{{PROJECT_NS}}}Sources/{{{PROJECT_NS}}}TextSource"):
            texts[src.get("name")] = zf.read("sources/" + src.get("plainTextPath")[len("internal://"):]).decode()
    assert not any("Burnley" in t or "Lahore" in t for t in texts.values())
    for src in root.iterfind(f"{{{PROJECT_NS}}}Sources/{{{PROJECT_NS}}}TextSource"):
        text = texts[src.get("name")]
        for sel in src.iterfind(f"{{{PROJECT_NS}}}PlainTextSelection"):
            quote = text[int(sel.get("startPosition")) : int(sel.get("endPosition"))]
            assert quote.strip() == quote and len(quote) > 10  # a whole sentence, not a shifted slice
            assert quote[-1] in ".?!\"”’])" or quote.endswith("]")
