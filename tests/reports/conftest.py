"""A large run directory for the report's scale tests, made from the demo run's own files."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks.report_page import scaled_run

LARGE_SEGMENTS = 50_000


@pytest.fixture(scope="session")
def large_run(demo_run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo run with its segments repeated to 50,000 rows, as a study that size would have.

    Repeats keep their document and offsets (so every quote still cuts its document) and
    get new segment ids; the topic map gets them too, up to the 3,000 points a run draws.
    Documents, codebook, quotes and topics are the demo run's own. Only the page is
    rebuilt from it; nothing is re-run.
    """
    _, out = demo_run
    return scaled_run(out, LARGE_SEGMENTS, tmp_path_factory.mktemp("large") / "run")
