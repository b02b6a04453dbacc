"""The coder round trip: candidate quotes out to human coders, their decisions back.

- :mod:`~narratives.coders.export` — ``narratives export``: REFI-QDA (:mod:`.refi`),
  spreadsheets (:mod:`.sheets`), optional de-identification (:mod:`.deidentify`);
- :mod:`~narratives.coders.agreement_report` — ``narratives agreement``: decisions read back
  from sheets and projects, statistics from :mod:`.agreement`;
- :mod:`~narratives.coders.verification` — ``narratives prevalence``: a verified random sample
  read back, and the corrected shares it gives (the estimate is :mod:`narratives.prevalence`'s);
- :mod:`~narratives.coders.records` — what coders are shown (the candidate). What they decide,
  and the one reader of coded passages, are :mod:`narratives.codebook`'s.
"""
