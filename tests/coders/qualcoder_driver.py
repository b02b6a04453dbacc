"""Drive QualCoder's own, unmodified REFI-QDA code headless: import a ``.qdpx`` into a new
QualCoder project, do what a coder does in its coding window, export the project again.

Run by ``test_qualcoder.py`` in QualCoder's own environment (``make qda-tools``), never imported
by the product::

    python qualcoder_driver.py QUALCODER_SRC WORK_DIR IN.qdpx PLAN.json OUT_DIR

QualCoder's code runs as it is: ``App`` for settings and the coder names, the project schema
that ``MainWindow.new_project`` creates (its ``CREATE TABLE`` statements, read from its source),
``RefiImport`` and ``RefiExport``. The test only answers what a person would: the file dialogs,
the message boxes and the line-ending question (not MAXQDA). QualCoder's AI module is not needed
for REFI-QDA and is left out (it pulls in langchain and openai).

The coder's edits are the rows QualCoder's coding window writes into ``code_text``
(``code_text.py``): *unmark* deletes the coding, *change code* sets a new ``cid`` on the same
row, and *mark* inserts a coding owned by the coder in the settings. ``PLAN.json``::

    {"coder": "Amna", "reject": [text, ...], "recode": [[text, code name], ...],
     "add": [[source name, text, code name], ...], "line_endings": "maxqda" (optional)}

Writes ``WORK_DIR/qualcoder.json`` (QualCoder prints to stdout itself): what the import produced
(sources, codes, codings, attributes), the messages QualCoder showed, and the exported ``.qdpx``.
"""

from __future__ import annotations

import ast
import builtins
import datetime
import json
import os
import sys
import types
from pathlib import Path


def _schema(main_py: Path) -> list[str]:
    """The ``CREATE TABLE`` statements of ``MainWindow.new_project``, as QualCoder's source has them."""
    tree = ast.parse(main_py.read_text(encoding="utf-8"))
    new_project = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "new_project")
    statements = []
    for node in ast.walk(new_project):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "execute"
                and node.args and isinstance(node.args[0], ast.Constant)
                and str(node.args[0].value).lstrip().upper().startswith("CREATE TABLE")):
            statements.append((node.lineno, node.args[0].value))
    return [sql for _, sql in sorted(statements)]


def main(src: Path, work: Path, qdpx: Path, plan_path: Path, out_dir: Path) -> dict:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["HOME"] = str(work / "home")  # QualCoder keeps its config.ini in ~/.qualcoder,
    (work / "home" / ".qualcoder").mkdir(parents=True, exist_ok=True)  # which its start-up creates
    builtins._ = lambda text: text  # type: ignore[attr-defined]  # QualCoder's gettext hook
    sys.path.insert(0, str(src))
    ai = types.ModuleType("qualcoder.ai_llm")  # only its two default-model helpers are used by App
    ai.get_default_ai_models = lambda: []  # type: ignore[attr-defined]
    ai.update_ai_models = lambda models, index, settings=None: (models, index, None)  # type: ignore[attr-defined]
    sys.modules["qualcoder.ai_llm"] = ai

    import qualcoder.refi as refi
    from PyQt6 import QtWidgets
    from qualcoder.app import App

    qt = QtWidgets.QApplication([])
    shown: list[str] = []

    class Answered:  # a message box the person reads and closes
        def __init__(self, app, title, text="", icon=None):
            shown.append(f"{title}: {text}")

        def exec(self) -> int:
            return 0

    plan = json.loads(plan_path.read_text(encoding="utf-8"))

    def line_endings(dialog) -> int:  # the export's question: QualCoder's own, or MAXQDA's
        dialog.ui.radioButton_maxqda.setChecked(plan.get("line_endings") == "maxqda")
        return 0

    refi.Message = Answered
    refi.RefiLineEndings.exec = line_endings
    QtWidgets.QFileDialog.getOpenFileName = staticmethod(lambda *a, **k: (str(qdpx), "(*.qdpx)"))
    QtWidgets.QFileDialog.getExistingDirectory = staticmethod(lambda *a, **k: str(out_dir))

    app = App()
    app.settings["ai_enable"] = "False"
    project = work / "study.qda"
    for sub in ("", "images", "audio", "video", "documents"):
        (project / sub).mkdir(parents=True, exist_ok=True)
    app.create_connection(str(project))
    app.settings["directory"] = str(work)
    cur = app.conn.cursor()
    for sql in _schema(src / "qualcoder" / "__main__.py"):
        cur.execute(sql)
    app.update_coder_names()
    cur.execute("INSERT INTO project VALUES(?,?,?,?,?,?,?,?,null,null,null)",
                ("v17", datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"), "", app.version, 0, 0,
                 app.settings["codername"], ""))
    app.conn.commit()
    log = QtWidgets.QTextEdit()

    refi.RefiImport(app, log, "qdpx")
    imported = _contents(cur)

    app.settings["codername"] = plan["coder"]
    codes = {name: cid for cid, name in cur.execute("select cid, name from code_name")}
    for text in plan.get("reject", []):
        cur.execute("delete from code_text where ctid=?", [_coding(cur, text)])
    for text, code in plan.get("recode", []):
        cur.execute("update code_text set cid=? where ctid=?", [codes[code], _coding(cur, text)])
    for source, text, code in plan.get("add", []):
        fid, fulltext = cur.execute("select id, fulltext from source where name=?", [source]).fetchone()
        start = fulltext.index(text)
        cur.execute("insert into code_text (cid,fid,seltext,pos0,pos1,owner,memo,date,important) "
                    "values(?,?,?,?,?,?,?,?,?)",
                    (codes[code], fid, text, start, start + len(text), plan["coder"], "",
                     datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"), None))
    app.conn.commit()
    app.update_coder_names()

    app.project_name = "study.qda"
    refi.RefiExport(app, log, "project")
    qt.quit()
    return {"imported": imported, "shown": shown, "log": log.toPlainText(),
            "exported": sorted(str(p) for p in out_dir.glob("*.qdpx"))}


def _coding(cur, text: str) -> int:
    rows = cur.execute("select ctid from code_text where seltext=?", [text]).fetchall()
    if len(rows) != 1:
        raise SystemExit(f"{len(rows)} codings hold {text!r}; the plan must name exactly one")
    return rows[0][0]


def _contents(cur) -> dict:
    names = {fid: name for fid, name in cur.execute("select id, name from source")}
    code_names = {cid: (name, parent) for cid, name, parent in cur.execute("select cid, name, supercid from code_name")}
    return {
        "sources": {name: text for name, text in cur.execute("select name, fulltext from source")},
        "codes": {name: (code_names[parent][0] if parent in code_names else None)
                  for name, parent in code_names.values()},
        "codings": [{"source": names[fid], "code": code_names[cid][0] if cid in code_names else None,
                     "text": seltext, "start": pos0, "end": pos1, "owner": owner}
                    for fid, cid, seltext, pos0, pos1, owner in cur.execute(
                        "select fid, cid, seltext, pos0, pos1, owner from code_text order by fid, pos0")],
        "source_attributes": _attributes(cur, "file", names),
        "case_attributes": _attributes(cur, "case", {c: n for c, n in cur.execute("select caseid, name from cases")}),
        "case_sources": sorted({(case, names.get(fid, "?")) for case, fid in cur.execute(
            "select cases.name, case_text.fid from case_text join cases on cases.caseid = case_text.caseid")}),
    }


def _attributes(cur, kind: str, names: dict) -> dict:
    out: dict[str, dict[str, str]] = {}
    for name, value, id_ in cur.execute("select name, value, id from attribute where attr_type=?", [kind]).fetchall():
        out.setdefault(names.get(id_, str(id_)), {})[name] = value
    return out


if __name__ == "__main__":
    src, work, qdpx, plan, out = (Path(a) for a in sys.argv[1:6])
    (work / "qualcoder.json").write_text(json.dumps(main(src, work, qdpx, plan, out)), encoding="utf-8")
