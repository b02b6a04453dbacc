"""Reports: theme frequencies, candidate quotes, topic tables, the run manifest and report.html."""

from narratives.reports.frequencies import theme_frequencies
from narratives.reports.quotes import select_quotes
from narratives.reports.run_dir import SavedRun, load_run
from narratives.reports.writer import REPORT_FILES, write_reports

__all__ = ["REPORT_FILES", "SavedRun", "load_run", "select_quotes", "theme_frequencies", "write_reports"]
