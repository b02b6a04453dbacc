"""Reports: theme frequencies, candidate quotes, topic tables and the run manifest."""

from narratives.reports.frequencies import theme_frequencies
from narratives.reports.quotes import select_quotes
from narratives.reports.writer import REPORT_FILES, write_reports

__all__ = ["REPORT_FILES", "select_quotes", "theme_frequencies", "write_reports"]
