"""Wall time and peak memory of each pipeline stage, as the run manifest records them.

Peak memory is the process's peak resident set size during the stage. On Linux the
kernel's high-water mark (``VmHWM``) is reset at the start of each stage (writing ``5``
to ``/proc/self/clear_refs``), so each stage reports its own peak, not the run's so far.
Where that is not possible the figure is the process peak so far (never lower than the
truth, sometimes higher).
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB (since the last reset, on Linux)."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def reset_peak() -> None:
    """Start a new peak-memory window (Linux only; elsewhere a no-op)."""
    with suppress(OSError):
        _CLEAR_REFS.write_text("5")


class StageMeter:
    """Collects ``seconds`` and ``peak_mb`` per stage name, in the order stages ran."""

    def __init__(self, seconds: dict[str, float] | None = None, peak_mb: dict[str, float] | None = None) -> None:
        self.seconds = {} if seconds is None else seconds
        self.peak_mb = {} if peak_mb is None else peak_mb

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time and measure the block as stage ``name`` (repeated names add up)."""
        reset_peak()
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - start, 3)
            self.peak_mb[name] = max(self.peak_mb.get(name, 0.0), peak_rss_mb())

    def split(self, stage: str, part: str, seconds: float) -> None:
        """Report ``seconds`` of ``stage`` as a stage of their own, ``part``, just before it
        (e.g. the UMAP reduction inside clustering); both keep the stage's peak memory."""
        if stage not in self.seconds or seconds <= 0:
            return
        seconds = min(round(seconds, 3), self.seconds[stage])
        order = list(self.seconds)
        self.seconds[stage] = round(self.seconds[stage] - seconds, 3)
        self.seconds[part] = seconds
        self.peak_mb[part] = self.peak_mb[stage]
        for table in (self.seconds, self.peak_mb):
            ordered = {}
            for name in order:
                if name == stage:
                    ordered[part] = table[part]
                ordered[name] = table[name]
            table.clear()
            table.update(ordered)
