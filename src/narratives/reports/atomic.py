"""Output directories that are never half-written and never silently replaced.

Every command that writes a folder of results (``run``, ``evaluate``) checks the folder
first with :func:`check_output_dir` and writes through :func:`staged_directory`: files go
into a hidden sibling directory, which replaces the target only once all are written. A
single file rebuilt in place (``report.html``) goes through :func:`write_text_atomic`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from narratives.errors import OutputExistsError


def check_output_dir(out: str | Path, force: bool) -> Path:
    """Refuse an existing, non-empty output directory unless ``force``."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise OutputExistsError(f"{path} exists and is not a directory; choose another --out")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise OutputExistsError(
            f"{path} already holds results; pass --force to replace them, or choose another --out"
        )
    return path


@contextmanager
def staged_directory(out: str | Path) -> Iterator[Path]:
    """Yield an empty staging directory that replaces ``out`` when the block succeeds.

    On any error the staging directory is removed and ``out`` is left as it was.
    """
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield staging
        _swap_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_into_place(staging: Path, out: Path) -> None:
    if not out.exists():
        os.replace(staging, out)
        return
    retired = out.with_name(f".{out.name}.old-{os.getpid()}")
    os.replace(out, retired)
    try:
        os.replace(staging, out)
    except BaseException:
        os.replace(retired, out)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def write_text_atomic(path: Path, text: str) -> None:
    """Write one UTF-8 text file (LF line ends) through a temporary sibling, so it is never half-written.

    The file gets ordinary new-file permissions (``0666`` less the umask), not ``mkstemp``'s ``0600``.
    """
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
