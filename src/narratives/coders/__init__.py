"""The coder round trip: candidate quotes out to human coders, their decisions back.

- :mod:`~narratives.coders.export` — ``narratives export``: REFI-QDA (:mod:`.refi`),
  spreadsheets (:mod:`.sheets`), optional de-identification (:mod:`.deidentify`);
- :mod:`~narratives.coders.agreement_report` — ``narratives agreement``: decisions read back
  from sheets and projects, statistics from :mod:`.agreement`;
- :mod:`~narratives.safe_files` — refusing hostile zips and XML;
- :mod:`~narratives.coders.records` — the typed records (candidate, decision).
"""
