"""What comes back from coders is read as it is or refused with the reason, never half read.

Each case was found by people trying the round trip: a sheet whose decisions are formulas
without saved values (half the decisions read as empty), a renamed decision column, a Word
file given by mistake, a project whose source texts a coder edited, a project holding two
project files, and a project given back unreviewed (which scored a perfect agreement).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from narratives.cli import app
from narratives.codebook import load_codebook
from narratives.codebook.coded import read_coded_file
from narratives.coders.agreement_report import measure_agreement
from narratives.coders.export import export_run
from narratives.errors import InputError

CODEBOOK = Path(__file__).resolve().parents[2] / "configs" / "codebooks" / "physician-migration.yaml"


def _sheet(path: Path, decisions: list[str], *, header: str = "decision") -> Path:
    """A review sheet as `narratives export` lays it out, its decision cells set to ``decisions``."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Quotes"
    ws.append(["unit_id", "quote", "proposed_code", header, "recode_to", "comment"])
    for i, decision in enumerate(decisions):
        ws.append([f"u{i}", f"The salary was too low, case {i}.", "salary-inadequacy", decision, "", ""])
    codes = wb.create_sheet("Codebook")
    codes.append(["id"])
    codes.append(["accept"])
    wb.save(path)
    return path


def test_decisions_written_as_simple_formulas_are_read_at_their_value(tmp_path: Path) -> None:
    """openpyxl (as a script would) saves formulas without values: ="accept" and a reference are worked out."""
    sheet = _sheet(tmp_path / "amna.xlsx", ['="accept"', "reject", "=Codebook!A2", '="reject"'] * 4)
    decisions = read_coded_file(sheet, load_codebook(CODEBOOK))
    assert [d.kind for d in decisions] == ["accept", "reject", "accept", "reject"] * 4  # 16 of 16, none dropped


def test_decisions_behind_formulas_that_cannot_be_worked_out_are_refused(tmp_path: Path) -> None:
    sheet = _sheet(tmp_path / "amna.xlsx", ['=IF(1=1,"accept","reject")', "reject"] * 8)
    with pytest.raises(InputError) as caught:
        read_coded_file(sheet, load_codebook(CODEBOOK))
    said = str(caught.value)
    assert str(sheet) in said and "8 cell(s) hold a formula" in said and "D2 (=IF(1=1" in said
    assert "save it" in said


def test_a_renamed_decision_column_is_named_not_read_as_no_decisions(tmp_path: Path) -> None:
    codebook = load_codebook(CODEBOOK)
    cased = read_coded_file(_sheet(tmp_path / "a.xlsx", ["accept"], header="Decision"), codebook)
    assert [d.kind for d in cased] == ["accept"]  # only the case changed: the column is the export's
    renamed = _sheet(tmp_path / "b.xlsx", ["accept"], header="Decision (accept/reject/recode)")
    with pytest.raises(InputError, match=re.escape("'Decision (accept/reject/recode)' looks like it: rename it "
                                                   "'decision'")):
        read_coded_file(renamed, codebook)


def test_a_word_document_given_as_decisions_is_named_as_one(tmp_path: Path, repo_dir: Path) -> None:
    word = tmp_path / "decisions.csv"  # a Word file, whatever its name says
    word.write_bytes((repo_dir / "corpora/demo/interviews/p10-geriatric-medicine-uk.docx").read_bytes())
    result = CliRunner().invoke(app, ["agreement", str(word), "--codebook", str(CODEBOOK)])
    assert result.exit_code == 2, result.output
    assert "this is a Word document, not a file of coders' decisions" in result.output
    assert "UTF-8" not in result.output


def test_a_word_document_named_as_a_project_is_named_as_one(tmp_path: Path, repo_dir: Path, demo_run) -> None:
    _, run_dir = demo_run
    project = tmp_path / "project.qdpx"
    project.write_bytes((repo_dir / "corpora/demo/interviews/p10-geriatric-medicine-uk.docx").read_bytes())
    with pytest.raises(InputError, match="this is a Word document, not a REFI-QDA project"):
        measure_agreement([project], run_dir=run_dir, reps=10)


def _rewrite(project: Path, out: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(project) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in edit(members):
            archive.writestr(name, data)
    return out


def _reject_first(members: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """A coder's one act: the first proposal's coding deleted."""
    return [(name, re.sub(rb"<Coding [^>]*>\s*<CodeRef [^>]*/>\s*</Coding>", b"", data, count=1)
             if name == "project.qde" else data) for name, data in members]


def test_a_project_whose_source_a_coder_edited_is_refused_naming_the_change(demo_run, tmp_path: Path) -> None:
    _, run_dir = demo_run
    project = export_run(run_dir, "qdpx", tmp_path / "p.qdpx").files[0]

    def mask(members: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
        done = False
        out = []
        for name, data in _reject_first(members):
            if not done and name.startswith("sources/") and b"salary" in data:
                data, done = data.replace(b"salary", b"XXXXXX", 1), True
            out.append((name, data))
        assert done
        return out

    edited = _rewrite(project, tmp_path / "edited.qdpx", mask)
    with pytest.raises(InputError) as caught:
        measure_agreement([edited], run_dir=run_dir, reps=10)
    said = str(caught.value)
    assert "is not the text narratives exported" in said and "salary" in said and "XXXXXX" in said
    untouched = _rewrite(project, tmp_path / "reviewed.qdpx", _reject_first)
    assert measure_agreement([untouched], run_dir=run_dir, reps=10).precision.iloc[0]["judged"] > 0


def test_a_project_with_two_project_files_is_refused(demo_run, tmp_path: Path) -> None:
    _, run_dir = demo_run
    project = export_run(run_dir, "qdpx", tmp_path / "p.qdpx").files[0]
    doubled = _rewrite(project, tmp_path / "two.qdpx",
                       lambda members: [*_reject_first(members), ("copy/Project.qde", dict(members)["project.qde"])])
    with pytest.raises(InputError, match="holds 2 project files"):
        measure_agreement([doubled], run_dir=run_dir, reps=10)


@pytest.mark.parametrize("blind", [False, True], ids=["proposals-shown", "blind"])
def test_a_project_given_back_unreviewed_is_not_counted_as_agreement(demo_run, tmp_path: Path, blind: bool) -> None:
    """It scored kappa 1.000 and 30 of 30 accepted, for a coder named after the file."""
    _, run_dir = demo_run
    project = export_run(run_dir, "qdpx", tmp_path / "project.qdpx", blind=blind).files[0]
    result = CliRunner().invoke(app, ["agreement", str(project), "--run", str(run_dir), "--bootstrap", "10"])
    assert result.exit_code == 2, result.output
    assert "no coder activity" in result.output and "not counted" in result.output
    assert "kappa" not in result.output.lower().split("no coder activity")[0]
