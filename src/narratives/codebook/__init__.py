"""The researcher's codebook and the passages coded with it, below every stage.

- :mod:`.load` — read and validate a YAML, CSV or ``.qdc`` codebook (:func:`load_codebook`),
  and write it as YAML (:func:`codebook_to_yaml`);
- :mod:`.qdc` — REFI-QDA codebooks, read and written (:func:`export_codebook_qdc`);
- :mod:`.lookup` — how a file names a code: id, label or slug (:func:`code_index`, :func:`find_code`);
- :mod:`.records` — :class:`CoderDecision`, one coder's judgement of one passage;
- :mod:`.coded` — the one reader of coded passages (plain CSVs, and the sheets ``narratives
  export`` wrote, filled in), which ``run --examples``, ``evaluate`` and ``agreement`` share.
"""

from __future__ import annotations

from narratives.codebook.coded import (
    Columns,
    decision_examples,
    load_examples,
    read_coded_file,
    read_decisions,
    read_table,
)
from narratives.codebook.load import codebook_to_yaml, load_codebook
from narratives.codebook.lookup import code_index, find_code, slugify
from narratives.codebook.qdc import export_codebook_qdc, read_codebook_qdc
from narratives.codebook.records import NONE_CODE, CoderDecision, DecisionKind

__all__ = [
    "NONE_CODE", "CoderDecision", "Columns", "DecisionKind", "code_index", "codebook_to_yaml", "decision_examples",
    "export_codebook_qdc", "find_code", "load_codebook", "load_examples", "read_codebook_qdc", "read_coded_file",
    "read_decisions", "read_table", "slugify",
]
