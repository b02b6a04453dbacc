"""The coder round trip on the demo run: export, fill in as two coders, measure, learn."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from narratives.cli import app
from narratives.codebook.coded import load_examples
from narratives.coders.agreement_report import measure_agreement
from narratives.coders.export import export_run
from narratives.coders.refi import PROJECT_NS
from narratives.reports.run_dir import load_run


def _fill(path: Path, choose) -> int:  # type: ignore[no-untyped-def]
    """Fill the decision columns the way a coder would in a spreadsheet program."""
    wb = load_workbook(path)
    ws = wb["Quotes"]
    head = [c.value for c in ws[1]]
    filled = 0
    for r in range(2, ws.max_row + 1):
        row = {h: ws.cell(r, i + 1).value for i, h in enumerate(head)}
        decision = choose(r, row)
        if decision is None:
            continue
        for column, value in decision.items():
            ws.cell(r, head.index(column) + 1).value = value
        filled += 1
    wb.save(path)
    return filled


def test_spreadsheet_has_working_drop_downs_and_codebook(demo_run, tmp_path: Path) -> None:
    _, run_dir = demo_run
    path = export_run(run_dir, "xlsx", tmp_path / "sheet.xlsx").files[0]
    wb = load_workbook(path)
    ws = wb["Quotes"]
    head = [c.value for c in ws[1]]
    assert ws.freeze_panes == "A2"
    assert {"quote", "context_before", "speaker", "proposed_code", "score", "decision", "recode_to"} <= set(head)
    rules = {dv.formula1: str(dv.sqref) for dv in ws.data_validations.dataValidation}
    decision_col = chr(ord("A") + head.index("decision"))
    assert rules['"accept,reject,recode"'].startswith(f"{decision_col}2:")
    codebook = wb["Codebook"]
    ids = [codebook.cell(r, 1).value for r in range(2, codebook.max_row + 1)]
    assert ids[-1] == "none" and "salary-inadequacy" in ids
    id_rule = next(f for f in rules if f.startswith("Codebook!"))
    assert id_rule == f"Codebook!$A$2:$A${len(ids) + 1}"  # the drop-down lists exactly the codebook's ids
    assert ws.cell(2, head.index("quote") + 1).alignment.wrap_text


def test_two_coders_round_trip_gives_agreement_and_examples(demo_run, tmp_path: Path) -> None:
    _, run_dir = demo_run
    files = export_run(run_dir, "xlsx", tmp_path / "decisions.xlsx", coders=["Amna", "Bilal"]).files
    amna, bilal = files
    assert amna.name == "decisions-amna.xlsx" and bilal.name == "decisions-bilal.xlsx"

    def order(p: Path) -> list[str]:
        ws = load_workbook(p)["Quotes"]
        return [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)]

    assert order(amna) != order(bilal) and sorted(order(amna)) == sorted(order(bilal))  # own shuffle each

    # Amna accepts everything; Bilal rejects every third and recodes every fifth to moral-residue
    n = _fill(amna, lambda r, row: {"decision": "accept"})
    _fill(bilal, lambda r, row: {"decision": "recode", "recode_to": "homeland-conscience"} if r % 5 == 0
          else {"decision": "reject"} if r % 3 == 0 else {"decision": "accept"})
    report = measure_agreement([amna, bilal], run_dir=run_dir, reps=200)
    assert report.units == n and set(report.coders) == {"Amna", "Bilal"}
    pairs = report.pairs.set_index(["rater_a", "rater_b", "level"])
    assert pairs.loc[("machine", "Amna", "code"), "percent_agreement"] == 1.0
    assert pairs.loc[("machine", "Amna", "code"), "cohen_kappa"] == 1.0
    assert 0.3 < pairs.loc[("machine", "Bilal", "code"), "percent_agreement"] < 0.8
    assert pairs.loc[("machine", "Bilal", "code"), "cohen_kappa_low"] <= pairs.loc[
        ("machine", "Bilal", "code"), "cohen_kappa"]
    assert "coders_code" in report.alpha and "coders_and_machine_theme" in report.alpha
    assert len(report.disagreements) == sum(1 for _ in report.disagreements.itertuples()) > 0

    out = report.write(tmp_path / "agreement")
    assert {p.name for p in out.iterdir()} >= {"pairs.csv", "per_code.csv", "precision.csv", "disagreements.csv",
                                               "examples.csv", "summary.json"}
    # the decisions feed the next run: from the report's examples.csv and from a sheet itself
    cb = load_run(run_dir).codebook
    from_report = load_examples(out / "examples.csv", cb)
    from_sheet = load_examples(bilal, cb)
    assert any(not e.accepted for e in from_sheet) and any(e.code == "homeland-conscience" for e in from_sheet)
    assert len(from_report) >= len(from_sheet)


def test_unjudged_rows_are_not_examples(demo_run, tmp_path: Path) -> None:
    _, run_dir = demo_run
    sheet = export_run(run_dir, "csv", tmp_path / "half.csv").files[0]
    rows = list(csv.DictReader(sheet.open(encoding="utf-8-sig")))
    rows[0]["decision"] = "accept"
    with sheet.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    examples = load_examples(sheet, load_run(run_dir).codebook)
    assert len(examples) == 1 and examples[0].accepted


def test_blind_sheet_hides_the_proposal(demo_run, tmp_path: Path) -> None:
    _, run_dir = demo_run
    path = export_run(run_dir, "xlsx", tmp_path / "blind.xlsx", blind=True, coders=["C"]).files[0]
    head = [c.value for c in load_workbook(path)["Quotes"][1]]
    assert "code" in head and not {"proposed_code", "score", "decision"} & set(head)
    _fill(path, lambda r, row: {"code": "none" if r % 2 else "salary-inadequacy"})
    report = measure_agreement([path], run_dir=run_dir, reps=100)
    assert ("machine", "C") in set(zip(report.pairs.rater_a, report.pairs.rater_b, strict=True))


def test_project_back_from_a_qda_tool(demo_run, tmp_path: Path) -> None:
    """A coder deletes one proposed coding (reject) and codes another selection differently."""
    lxml_etree = pytest.importorskip("lxml.etree")
    _, run_dir = demo_run
    qdpx = export_run(run_dir, "qdpx", tmp_path / "p.qdpx").files[0]
    ns = {"q": PROJECT_NS}
    with zipfile.ZipFile(qdpx) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    root = lxml_etree.fromstring(members["project.qde"])
    selections = root.findall(".//q:PlainTextSelection", ns)
    moral = next(c.get("guid") for c in root.iter(f"{{{PROJECT_NS}}}Code") if c.get("name") == "Homeland conscience")
    first, second = selections[0], selections[1]
    first.remove(first.find("q:Coding", ns))  # rejected
    second.find("q:Coding/q:CodeRef", ns).set("targetGUID", moral)  # recoded
    members["project.qde"] = lxml_etree.tostring(root)
    back = tmp_path / "back.qdpx"
    with zipfile.ZipFile(back, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    report = measure_agreement([back], run_dir=run_dir, reps=100)
    precision = report.precision.set_index(["coder", "proposed_code"]).loc[("back", "(all)")]
    assert precision.judged == len(selections) and precision.accepted == len(selections) - 2
    changed = report.disagreements.set_index("unit_id")["back"]
    assert changed[first.get("name")] == "none" and changed[second.get("name")] == "homeland-conscience"


def test_cli_export_never_overwrites_a_coders_file(demo_run, tmp_path: Path) -> None:
    _, run_dir = demo_run
    runner = CliRunner()
    target = tmp_path / "decisions.csv"
    first = runner.invoke(app, ["export", str(run_dir), "--to", "csv", "--out", str(target)])
    assert first.exit_code == 0, first.output
    target.write_text("unit_id,decision\nx,accept\n", encoding="utf-8")
    again = runner.invoke(app, ["export", str(run_dir), "--to", "csv", "--out", str(target)])
    assert again.exit_code == 2 and "--force" in again.output
    assert target.read_text(encoding="utf-8") == "unit_id,decision\nx,accept\n"


def _as_qualcoder_exports(members: dict[str, bytes], lxml_etree, coder: str, edit) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    """Rewrite a project the way QualCoder's RefiExport writes one back (see its README): every
    object gets a new GUID, each selection is named by its text, text files get a byte-order mark
    and CRLF line ends, and the coder is a user; ``edit(root, coder_guid)`` is what the coder did."""
    import uuid

    ns = {"q": PROJECT_NS}
    root = lxml_etree.fromstring(members["project.qde"])
    fresh: dict[str, str] = {}

    def renew(old: str) -> str:
        return fresh.setdefault(old, str(uuid.uuid4()))

    users = root.find("q:Users", ns)
    coder_guid = str(uuid.uuid4())
    lxml_etree.SubElement(users, f"{{{PROJECT_NS}}}User", guid=coder_guid, name=coder)
    edit(root, coder_guid)
    texts: dict[str, str] = {}
    for src in root.iterfind("q:Sources/q:TextSource", ns):
        old = src.get("plainTextPath").removeprefix("internal://")
        texts[old] = members.pop(f"sources/{old}").decode("utf-8")
    for el in root.iter():
        for attribute in ("guid", "targetGUID", "creatingUser"):
            if el.get(attribute):
                el.set(attribute, renew(el.get(attribute)) if el.get(attribute) != coder_guid else coder_guid)
    for src in root.iterfind("q:Sources/q:TextSource", ns):
        old = src.get("plainTextPath").removeprefix("internal://")
        text = texts[old.replace(".txt", "") + ".txt"] if old in texts else texts[next(iter(texts))]
        new = f"{src.get('guid')}.txt"
        src.set("plainTextPath", f"internal://{new}")
        for sel in src.iterfind("q:PlainTextSelection", ns):
            start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            sel.set("name", text[start:end])
            crs = text.count("\n", 0, start), text.count("\n", 0, end)
            sel.set("startPosition", str(start + crs[0]))
            sel.set("endPosition", str(end + crs[1]))
        members[f"Sources/{new}"] = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")
    members["project.qde"] = lxml_etree.tostring(root)
    return members


def test_a_project_back_from_a_tool_that_renames_everything(special_run: Path, tmp_path: Path) -> None:
    """Matched by place: one deleted coding is a reject, one changed code a recode, one coding on a
    passage never proposed is the coder's own example, and the coder is named from the project's users."""
    lxml_etree = pytest.importorskip("lxml.etree")
    ns = {"q": PROJECT_NS}
    qdpx = export_run(special_run, "qdpx", tmp_path / "p.qdpx", units="assigned").files[0]
    with zipfile.ZipFile(qdpx) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    run = load_run(special_run)
    text_of = {d.doc_id: d.text for d in run.documents.values()}
    picked: dict[str, str] = {}

    def edit(root, coder_guid: str) -> None:  # type: ignore[no-untyped-def]
        selections = root.findall(".//q:PlainTextSelection", ns)
        rejected, recoded = selections[0], selections[1]
        picked["rejected"], picked["recoded"] = rejected.get("name"), recoded.get("name")
        rejected.remove(rejected.find("q:Coding", ns))
        coding = recoded.find("q:Coding", ns)
        was = coding.find("q:CodeRef", ns).get("targetGUID")
        other = next(c for c in root.iter(f"{{{PROJECT_NS}}}Code") if c.get("guid") != was and not len(
            c.findall("q:Code", ns)))
        family = other.get("guid")
        picked["code"] = other.get("name")
        coding.set("creatingUser", coder_guid)
        coding.find("q:CodeRef", ns).set("targetGUID", family)
        source = recoded.getparent()
        body = text_of[source.get("name")]
        taken = [(int(s.get("startPosition")), int(s.get("endPosition")))
                 for s in source.iterfind("q:PlainTextSelection", ns)]
        start = body.index("Interviewer")  # the interviewer's question: never proposed
        end = start + len("Interviewer: Why did you leave Lahore?")
        assert all(e <= start or s >= end for s, e in taken)
        new = lxml_etree.SubElement(source, f"{{{PROJECT_NS}}}PlainTextSelection", guid="X", name="",
                                    startPosition=str(start), endPosition=str(end), creatingUser=coder_guid)
        own = lxml_etree.SubElement(new, f"{{{PROJECT_NS}}}Coding", guid="Y", creatingUser=coder_guid)
        lxml_etree.SubElement(own, f"{{{PROJECT_NS}}}CodeRef", targetGUID=family)

    back = tmp_path / "exported-by-qualcoder.qdpx"
    with zipfile.ZipFile(back, "w") as zf:
        for name, data in _as_qualcoder_exports(members, lxml_etree, "Amna", edit).items():
            zf.writestr(name, data)

    report = measure_agreement([back], run_dir=special_run, reps=50)
    family = next(e.id for e in run.codebook.entries if e.label == picked["code"])
    assert report.coders == ("Amna",)
    decisions = report.examples.set_index("text")
    text = run.segments.set_index("segment_id")["text"]
    assert decisions.loc[text[picked["rejected"]], "decision"] == "reject"
    assert decisions.loc[text[picked["recoded"]], ["decision", "recode_to"]].tolist() == [
        "recode", family]
    own = decisions.loc["Interviewer: Why did you leave Lahore?"]
    assert (own["code"], own["decision"]) == (family, "accept")
    # no other rater coded the interviewer's question: not in any figure, so listed with the reason
    [row] = report.not_compared.to_dict("records")
    assert (row["coder"], row["code"], row["text"]) == ("Amna", family, "Interviewer: Why did you leave Lahore?")
    assert row["reason"] == "text the run does not code: an interviewer's turn"
    precision = report.precision.set_index(["coder", "proposed_code"]).loc[("Amna", "(all)")]
    assert precision.judged == len(run.segments[run.segments["status"] == "coded"]) and precision.accepted == (
        precision.judged - 2)


def test_coders_whose_files_would_collide_are_refused(demo_run, tmp_path: Path) -> None:
    """'Amna,amna,AMNA ' wrote one file three times and kept the last; names that differ only in case,
    spacing or punctuation are one file on disk, so the export refuses them and writes nothing."""
    _, run_dir = demo_run
    done = CliRunner().invoke(app, ["export", str(run_dir), "--to", "xlsx", "--out", str(tmp_path / "d.xlsx"),
                                    "--coders", "Amna,amna,AMNA ,Bilal"])
    assert done.exit_code == 2, done.output
    assert "'Amna' and 'amna' and 'AMNA'" in done.output and "same file" in done.output
    assert list(tmp_path.iterdir()) == []
