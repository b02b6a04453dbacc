"""The round trip through a real QDA tool: QualCoder's own import and export code, headless.

``qualcoder_driver.py`` runs QualCoder's unmodified ``RefiImport``/``RefiExport`` in its own
environment (``make qda-tools``); these tests check what QualCoder made of our project and what
``narratives agreement`` makes of QualCoder's export after a coder worked on it.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from narratives.coders.agreement_report import measure_agreement
from narratives.coders.export import export_run
from narratives.coders.refi import MACHINE_USER
from narratives.reports.run_dir import load_run

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("qualcoder_driver.py")
QualCoder = Callable[..., dict]


def _code(quote) -> str:  # type: ignore[no-untyped-def]
    """A quote's code: its subtheme, else its theme."""
    return quote.subtheme if isinstance(quote.subtheme, str) and quote.subtheme else quote.theme


@pytest.fixture(scope="session")
def qualcoder(shared_dir: Path) -> QualCoder:
    """``qualcoder(qdpx, work_dir, **plan)``: QualCoder imports ``qdpx``, a coder applies ``plan``,
    QualCoder exports the project; returns the driver's account (``exported``: the ``.qdpx``)."""
    src = shared_dir / "tools" / "qualcoder" / "src"
    python = REPO / ".venv-qualcoder" / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    if not (src / "qualcoder" / "refi.py").is_file():
        pytest.skip(f"QualCoder's source is not in {src}")
    if not python.exists():
        pytest.skip("QualCoder's environment is missing: run `make qda-tools` (PyQt6, qtawesome, pymupdf, Pillow)")
    probe = subprocess.run([str(python), "-c", "import PyQt6.QtWidgets, PyQt6.QtMultimedia, qtawesome, pymupdf, PIL"],
                           capture_output=True, text=True, env={"QT_QPA_PLATFORM": "offscreen"})
    if probe.returncode:
        pytest.skip("QualCoder's packages do not import (`make qda-tools` installs them and Debian's libpulse0): "
                    f"{probe.stderr.strip()[-300:]}")

    def drive(qdpx: Path, work: Path, coder: str = "Amna", **plan: object) -> dict:
        (work / "out").mkdir(parents=True)
        (work / "plan.json").write_text(json.dumps({"coder": coder, **plan}), encoding="utf-8")
        done = subprocess.run([str(python), str(DRIVER), str(src), str(work), str(qdpx), str(work / "plan.json"),
                               str(work / "out")], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads((work / "qualcoder.json").read_text(encoding="utf-8"))

    return drive


def test_qualcoder_imports_our_project_exactly(demo_run, qualcoder: QualCoder, tmp_path: Path) -> None:
    """Every source, code (with its parent) and coding arrives, each coding's text is our quote,
    and each document carries its participant's attributes."""
    _, run_dir = demo_run
    run = load_run(run_dir)
    qdpx = export_run(run_dir, "qdpx", tmp_path / "project.qdpx").files[0]
    got = qualcoder(qdpx, tmp_path / "qc")["imported"]

    assert got["sources"] == {d.doc_id: d.text for d in run.documents.values()}
    labels = {e.id: e.label for e in run.codebook.entries}
    assert got["codes"] == {e.label: labels.get(e.parent) if e.parent else None for e in run.codebook.entries}
    quotes = run.quotes
    assert sorted((c["source"], c["code"], c["text"]) for c in got["codings"]) == sorted(
        (q.doc_id, labels[_code(q)], q.text) for q in quotes.itertuples())
    assert {c["owner"] for c in got["codings"]} == {MACHINE_USER}
    with (REPO / "corpora" / "demo" / "manifest.csv").open(encoding="utf-8") as fh:
        manifest = {row["doc_id"]: row for row in csv.DictReader(fh)}
    attributes = ("participant", "gender", "specialty", "country", "years_abroad", "outlet", "date")
    assert got["source_attributes"] == {
        doc: {a: row[a] for a in attributes if row[a]} for doc, row in manifest.items()}


@pytest.mark.parametrize("line_endings", ["qualcoder", "maxqda"])
def test_agreement_reads_qualcoders_export_after_a_coder_worked(
        demo_run, qualcoder: QualCoder, shared_dir: Path, tmp_path: Path, line_endings: str) -> None:
    """In QualCoder a coder unmarks one proposal, changes the code of another and marks a question
    we never proposed; QualCoder exports (new GUIDs, selections named by their text, text files
    with a byte-order mark, CRLF with LF positions when asked for MAXQDA's line endings).
    `narratives agreement` counts one reject, one recode and one new coding, by Amna."""
    _, run_dir = demo_run
    run = load_run(run_dir)
    qdpx = export_run(run_dir, "qdpx", tmp_path / "project.qdpx").files[0]
    quotes = run.quotes.sort_values(["doc_id", "start"]).reset_index(drop=True)
    rejected, recoded = quotes.iloc[0], quotes.iloc[1]
    family = next(e for e in run.codebook.entries if e.parent and e.id != _code(recoded) and not any(
        c.parent == e.id for c in run.codebook.entries))
    doc = run.documents[recoded.doc_id]
    question = next(line for line in doc.text.splitlines() if line.startswith("Interviewer:") and len(line) > 40)
    plan = {"reject": [rejected.text], "recode": [[recoded.text, family.label]],
            "add": [[recoded.doc_id, question, family.label]]}
    if line_endings == "maxqda":
        plan["line_endings"] = "maxqda"
    account = qualcoder(qdpx, tmp_path / "qc", **plan)
    (back,) = (Path(p) for p in account["exported"])
    with zipfile.ZipFile(back) as zf:
        texts = [zf.read(n) for n in zf.namelist() if n.lower().startswith("sources/") and n.endswith(".txt")]
        project = etree.fromstring(zf.read("project.qde"))
    schema = etree.XMLSchema(etree.parse(str(shared_dir / "schemas" / "refi-qda" / "Project.xsd")))
    assert schema.validate(project), schema.error_log.last_error  # our times came back valid (…Z)
    assert texts and all(t.startswith(b"\xef\xbb\xbf") for t in texts)  # QualCoder's byte-order mark
    assert any(b"\r\n" in t for t in texts) == (line_endings == "maxqda")

    report = measure_agreement([back], run_dir=run_dir, reps=50)
    assert report.coders == ("Amna",)
    decisions = report.examples.set_index("text")
    assert decisions.loc[rejected.text, "decision"] == "reject"
    assert decisions.loc[recoded.text, ["decision", "recode_to"]].tolist() == ["recode", family.id]
    own = decisions.loc[" ".join(question.split())]
    assert (own["code"], own["decision"]) == (family.id, "accept")
    precision = report.precision.set_index(["coder", "proposed_code"]).loc[("Amna", "(all)")]
    assert (precision.judged, precision.accepted) == (len(quotes), len(quotes) - 2)


def test_crlf_urdu_and_emoji_survive_qualcoder_both_ways(special_run: Path, qualcoder: QualCoder,
                                                         tmp_path: Path) -> None:
    """QualCoder turns CRLF into LF and counts code points; every proposal comes back accepted
    where the coder changed nothing, on text with Urdu and characters beyond the BMP (the coder
    unmarks one proposal: a project given back with no change at all is refused as unreviewed)."""
    run = load_run(special_run)
    qdpx = export_run(special_run, "qdpx", tmp_path / "p.qdpx", units="assigned").files[0]
    coded = run.segments[run.segments["status"] == "coded"]
    unmarked = coded.iloc[0]
    account = qualcoder(qdpx, tmp_path / "qc", reject=[unmarked.text])
    got = account["imported"]
    assert any("😢" in c["text"] for c in got["codings"]) and any("تنخواہ" in c["text"] for c in got["codings"])
    for c in got["codings"]:
        assert got["sources"][c["source"]][c["start"]:c["end"]] == c["text"]
    (back,) = (Path(p) for p in account["exported"])
    report = measure_agreement([back], run_dir=special_run, reps=20)
    precision = report.precision.set_index(["coder", "proposed_code"]).loc[(back.stem, "(all)")]
    assert precision.judged == len(coded) and precision.accepted == len(coded) - 1
    assert report.disagreements.set_index("unit_id").loc[unmarked.segment_id, back.stem] == "none"


def test_a_random_sample_verified_in_qualcoder_feeds_prevalence(demo_run, qualcoder: QualCoder,
                                                                tmp_path: Path) -> None:
    """The verification sample as a QualCoder project: the coder unmarks one proposal and codes one
    passage the machine left unassigned; `narratives prevalence` reads QualCoder's export as the
    sample it is, with both changes."""
    from narratives.coders.verification import measure_prevalence

    _, run_dir = demo_run
    run = load_run(run_dir)
    drawn = export_run(run_dir, "qdpx", tmp_path / "verify.qdpx", sample_random=40, seed=5)
    sample = run.segments.set_index("segment_id").loc[
        [u for u in run.segments["segment_id"] if u in _sample_ids(drawn.files[0])]]
    proposed = sample[sample["theme"] != "unassigned"].iloc[0]
    empty = sample[sample["theme"] == "unassigned"].iloc[0]
    code = next(e for e in run.codebook.entries if e.parent)
    account = qualcoder(drawn.files[0], tmp_path / "qc", reject=[proposed.text],
                        add=[[empty.doc_id, empty.text, code.label]])
    (back,) = (Path(p) for p in account["exported"])
    report = measure_prevalence(run_dir, [back])
    assert report.verified.sample == drawn.sample and len(report.verified.codes) == 40
    assert report.verified.codes[proposed.name] == frozenset()
    assert report.verified.codes[empty.name] == frozenset({code.id})


def _sample_ids(qdpx: Path) -> set[str]:
    with zipfile.ZipFile(qdpx) as zf:
        project = etree.fromstring(zf.read("project.qde"))
    return {sel.get("name") for sel in project.iter("{urn:QDA-XML:project:1.0}PlainTextSelection")}
