"""Nothing leaves the machine: the researcher's whole first hour, run under a system-call guard.

A new user's path, each command a real ``narratives`` process watched by ``strace -f`` (every
thread and child process, Ray's included; :mod:`network_guard`): a run on a local Ray instance
with a cold cache and a home folder never used before (so the ONNX model is exported and every
library starts from nothing), the quotes exported for two coders and as a REFI-QDA project, the
coders' sheets filled in and measured with ``agreement``, and a second run that learns from their
decisions (fine-tuning the model on them). A socket that reaches beyond loopback, a listener
opened to the network, or a DNS query fails the test with the call and the process that made it.
Telemetry that would have left also leaves a device id in ``~/.cache/Microsoft``: none may appear.
"""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from tests.privacy.network_guard import crossings, run_guarded, strace_works

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
NARRATIVES = str(Path(sys.executable).with_name("narratives"))


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """A folder to work in and an environment with an empty home and cache."""
    reason = strace_works()
    if reason is not None:
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("guarded")
    home = work / "home"
    home.mkdir()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("ORT_", "RAY_", "HF_", "NARRATIVES_")) and key != "DO_NOT_TRACK"}
    env.update(HOME=str(home), NARRATIVES_CACHE_DIR=str(work / "cache"), XDG_CACHE_HOME=str(home / ".cache"))
    yield work, env
    assert not (home / ".cache" / "Microsoft").exists(), "onnxruntime's telemetry store was created"


def _run(step: str, args: list[str], work: Path, env: dict[str, str]) -> str:
    log = work / f"{step}.strace"
    done = run_guarded([NARRATIVES, *args], log, env=env, cwd=work)
    assert done.returncode == 0, f"{step} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    found = crossings(log)
    assert not found, f"{step}: {len(found)} call(s) beyond the machine, e.g.\n" + "\n".join(map(str, found[:10]))
    return done.stdout


def _fill(sheet: Path, coder: int) -> None:
    """Accept the first half of the proposals, reject the next ones, recode every fifth (by coder)."""
    book = load_workbook(sheet)
    rows = book["Quotes"]
    head = [cell.value for cell in rows[1]]
    codes = [c.value for c in next(r for r in book.worksheets if r.title == "Codebook")["A"][1:] if c.value]
    for r in range(2, rows.max_row + 1):
        decision = "accept" if r % 5 != coder else "recode"
        if r > rows.max_row * 0.7:
            decision = "reject"
        rows.cell(r, head.index("decision") + 1).value = decision
        if decision == "recode":
            rows.cell(r, head.index("recode_to") + 1).value = codes[r % len(codes)]
    book.save(sheet)


def test_first_hour_sends_nothing_beyond_loopback(guarded: tuple[Path, dict[str, str]]) -> None:
    work, env = guarded
    demo = REPO / "corpora" / "demo"
    codebook = REPO / "configs" / "codebooks" / "physician-migration.yaml"
    _run("run-ray-cold", ["run", str(demo), "--manifest", str(demo / "manifest.csv"), "--codebook", str(codebook),
                          "--backend", "ray", "--out", str(work / "run-1"), "-q"], work, env)
    assert (work / "cache" / "onnx").is_dir()  # the model was exported in this run
    # 80 passages each, most accepted: enough for the second run to fine-tune the model on them (from 40, set below)
    _run("export-xlsx", ["export", str(work / "run-1"), "--to", "xlsx", "--out", str(work / "review" / "d.xlsx"),
                         "--coders", "amna,bilal", "--units", "assigned", "--sample", "80"], work, env)
    _run("export-qdpx", ["export", str(work / "run-1"), "--to", "qdpx", "--out", str(work / "review" / "p.qdpx")],
         work, env)
    sheets = sorted((work / "review").glob("d-*.xlsx"))
    assert len(sheets) == 2
    for coder, sheet in enumerate(sheets):
        _fill(sheet, coder)
    _run("agreement", ["agreement", *map(str, sheets), "--run", str(work / "run-1"), "--out", str(work / "agr"),
                       "--bootstrap", "50"], work, env)
    with (work / "agr" / "examples.csv").open(encoding="utf-8") as handle:
        assert sum(1 for _ in csv.DictReader(handle)) >= 20
    _run("run-with-examples", ["run", str(demo), "--manifest", str(demo / "manifest.csv"), "--codebook",
                               str(codebook), "--examples", str(work / "agr" / "examples.csv"),
                               "--set", "align.tune_from=40", "--out", str(work / "run-2"), "-q"], work, env)
    assert (work / "run-2" / "segments.csv").is_file()
    assert list((work / "cache" / "tuned").iterdir())  # the model was fine-tuned on the decisions, offline
