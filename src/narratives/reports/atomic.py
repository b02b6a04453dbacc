"""Output directories that are never half-written and never silently replaced.

Every command that writes a folder of results (``run``, ``evaluate``) checks the folder
first with :func:`check_output_dir` and writes through :func:`staged_directory`: files go
into a hidden sibling directory, which replaces the target only once all are written. A
single file rebuilt in place (``report.html``) goes through :func:`write_text_atomic`.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from narratives.errors import OutputExistsError


def check_output_dir(
    out: str | Path, force: bool, *, inputs: Sequence[str | Path] = (), results_marker: str | None = None
) -> Path:
    """Refuse an output directory that would lose or re-read someone's files.

    Refused: an existing non-empty directory unless ``force``; with ``force``, a non-empty
    directory without ``results_marker`` (a file every earlier result of the command holds,
    e.g. ``run_manifest.json``: ``--force`` replaces results, never a folder of other files);
    and any directory that is, contains or sits inside one of ``inputs`` (replacing it would
    delete the inputs, and a folder inside an input folder is read as documents next time).
    ``.`` and ``..`` are returned resolved, so the results can replace them from outside.
    """
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise OutputExistsError(f"{path} exists and is not a directory; choose another --out")
    where = Path(os.path.realpath(path))
    for given in inputs:
        source = Path(os.path.realpath(given))  # a link loop among the inputs is the loader's to report
        if where == source or where in source.parents:
            raise OutputExistsError(
                f"--out {path} holds the input {given}: writing the results there would replace it; "
                "choose an output folder outside your inputs"
            )
        if source.is_dir() and source in where.parents:
            raise OutputExistsError(
                f"--out {path} is inside the input folder {given}: its report and tables would be read as "
                "documents by the next run; choose an output folder outside your inputs"
            )
    if path.is_dir() and any(path.iterdir()):
        if not force:
            raise OutputExistsError(
                f"{path} already holds results; pass --force to replace them, or choose another --out"
            )
        if results_marker is not None and not (path / results_marker).is_file():
            raise OutputExistsError(
                f"{path} holds files that are not the results of an earlier run (it has no {results_marker}); "
                "--force replaces only a results folder, so choose a new or empty --out"
            )
    return where if path.name in ("", "..") else path


@contextmanager
def staged_directory(out: str | Path) -> Iterator[Path]:
    """Yield an empty staging directory that replaces ``out`` when the block succeeds.

    On any error the staging directory is removed and ``out`` is left as it was. The folder gets
    ordinary new-folder permissions (``0777`` less the umask), as ``mkdir`` would give it.
    """
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent))
    try:
        os.chmod(staging, 0o777 & ~current_umask())  # a folder like any other (mkdtemp's 0700 would hide it)
        yield staging
        _swap_into_place(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise named(exc, target) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def clean_stale(target: Path) -> list[Path]:
    """Remove what a killed run (``kill -9``, a power cut) left beside ``target``: its hidden staging
    folder (``.NAME.PID.*.tmp``) and the earlier results it had set aside (``.NAME.old-PID``), once
    that process is gone. Set-aside results whose replacement never arrived (``target`` is
    missing) are put back instead of removed. Returns the folders removed or restored."""
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.(?:(\d+)\..+\.tmp|old-(\d+))$")
    handled: list[Path] = []
    for entry in sorted(target.parent.glob(f".{glob.escape(target.name)}.*")):
        found = pattern.match(entry.name)
        if found is None or not entry.is_dir():
            continue
        pid = int(found.group(1) or found.group(2))
        if pid == os.getpid() or _alive(pid):
            continue
        if found.group(2) and not target.exists():
            os.replace(entry, target)
        else:
            shutil.rmtree(entry, ignore_errors=True)
        handled.append(entry)
    return handled


_placed: list[Path] = []


def placed() -> tuple[Path, ...]:
    """Every result this process has moved into place, in order: after Ctrl-C the command can say
    truthfully whether its results were written (they were, if they are here)."""
    return tuple(_placed)


def note_placed(path: Path) -> None:
    """Record a result file or folder moved into place by a writer outside this module."""
    _placed.append(path)


@contextmanager
def uninterrupted() -> Iterator[None]:
    """Hold Ctrl-C back for the block (a few renames), then raise it: the results are either all
    in place or not at all, never half swapped, and :func:`placed` knows which."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: caught.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            raise KeyboardInterrupt


def _swap_into_place(staging: Path, out: Path) -> None:
    with uninterrupted():
        if not out.exists():
            os.replace(staging, out)
            _placed.append(out)
            return
        retired = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, retired)
        try:
            os.replace(staging, out)
        except BaseException:
            os.replace(retired, out)
            raise
        _placed.append(out)
    shutil.rmtree(retired, ignore_errors=True)


def named(exc: OSError, where: Path) -> OSError:
    """``exc`` naming ``where`` when the system did not say which file (a full disk fails a ``write``
    on an open file, and Python's error then names none)."""
    if exc.filename is not None:
        return exc
    return type(exc)(exc.errno, exc.strerror or str(exc), str(where))


def current_umask() -> int:
    """The process's umask: new results get the permissions the user's other new files get, so
    collaborators the user shares folders with can read them."""
    umask = os.umask(0)
    os.umask(umask)
    return umask


def write_text_atomic(path: Path, text: str) -> None:
    """Write one UTF-8 text file (LF line ends) through a temporary sibling, so it is never half-written.

    The file gets ordinary new-file permissions (``0666`` less the umask), not ``mkstemp``'s ``0600``.
    """
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~current_umask())
        with uninterrupted():
            os.replace(tmp, path)
            _placed.append(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
