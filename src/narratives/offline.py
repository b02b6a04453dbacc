"""Nothing leaves the machine: every library channel that would send something out, switched off.

``narratives`` runs on workstations that hold participants' words, where an ethics approval
forbids traffic to third parties. Some of the libraries it runs report home by default:

- onnxruntime (1.29 and later) sends telemetry on Linux and macOS too, to
  ``mobile.events.data.microsoft.com``, and keeps a device id in ``~/.cache/Microsoft``. Only
  ``ORT_DISABLE_TELEMETRY=1`` *before onnxruntime is imported* stops it (the decision is latched
  at import; ``onnxruntime.disable_telemetry_events()`` afterwards does not stop the upload:
  measured with ``strace``).
- Ray reports usage statistics, and while doing so asks the cloud metadata address
  (169.254.169.254) what machine it is on.
- The Hugging Face hub libraries send telemetry with downloads (the run downloads nothing:
  models come from installed packages, and :mod:`narratives.embed.sentence_transformers`
  holds the hub offline while it loads one).

:func:`switch_off_telemetry` sets those switches in this process's environment, so child
processes (Ray's workers) inherit them. It runs when ``narratives`` is imported: the one side
effect at import in the package, because onnxruntime latches its decision at its own import,
which may come from anywhere after ours. Setting the switches is not left to the user.
``tests/privacy`` runs the real pipeline under ``strace`` and fails on any socket that reaches
beyond the machine.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

OFFLINE_ENV: dict[str, str] = {
    "ORT_DISABLE_TELEMETRY": "1",
    "RAY_USAGE_STATS_ENABLED": "0",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
}
"""Environment switches that turn the libraries' reporting off; inherited by child processes."""

LOOPBACK = "127.0.0.1"
"""Where a local Ray instance listens: this machine only, never the network interface."""


def switch_off_telemetry() -> None:
    """Set :data:`OFFLINE_ENV` in this process (and so in every process it starts).

    Warns when onnxruntime was imported before the switch was set: its telemetry is then on
    for the rest of this process, and only a new process that imports ``narratives`` first
    (or has ``ORT_DISABLE_TELEMETRY=1`` set) is clean.
    """
    late = "onnxruntime" in sys.modules and os.environ.get("ORT_DISABLE_TELEMETRY") != "1"
    os.environ.update(OFFLINE_ENV)
    if late:
        warnings.warn(
            "onnxruntime was imported before narratives, so its telemetry (sent to Microsoft) stays on in "
            "this process. Restart the Python session and import narratives before onnxruntime, or set "
            "ORT_DISABLE_TELEMETRY=1 in the environment.", RuntimeWarning, stacklevel=3)


@contextmanager
def scoped_environ(values: Mapping[str, str]) -> Iterator[None]:
    """``values`` set in ``os.environ`` for the block (and in the processes started in it), then each
    variable as it was, unset where it was unset. Not thread-safe: it changes the process's environment."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
