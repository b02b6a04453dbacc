"""Theme prevalence a reviewer accepts: the machine's labels corrected by a coder's verified random
sample (prediction-powered inference), with 95% intervals.

``estimator`` holds the statistics, ``table`` builds ``prevalence.csv`` from a run's segments and
a :class:`~narratives.prevalence.records.VerifiedSample`. Reading the coder's files back and
running ``narratives prevalence`` is :mod:`narratives.coders.verification`'s part of the round trip."""

from narratives.prevalence.estimator import Estimate, ppi_share, sample_size_for
from narratives.prevalence.records import VerifiedSample
from narratives.prevalence.table import COLUMNS, Prevalence, prevalence_table

__all__ = ["COLUMNS", "Estimate", "Prevalence", "VerifiedSample", "ppi_share", "prevalence_table", "sample_size_for"]
