"""Theme prevalence a reviewer accepts: the machine's labels corrected by a coder's verified random
sample (prediction-powered inference), with 95% intervals.

``estimator`` holds the statistics, ``verified`` reads the coder's sample back, ``table`` builds
``prevalence.csv``, ``report`` runs ``narratives prevalence``."""

from narratives.prevalence.estimator import Estimate, ppi_share, sample_size_for
from narratives.prevalence.report import PrevalenceReport, measure_prevalence
from narratives.prevalence.table import COLUMNS, Prevalence, prevalence_table
from narratives.prevalence.verified import VerifiedSample, read_verified

__all__ = ["COLUMNS", "Estimate", "Prevalence", "PrevalenceReport", "VerifiedSample", "measure_prevalence",
           "ppi_share", "prevalence_table", "read_verified", "sample_size_for"]
