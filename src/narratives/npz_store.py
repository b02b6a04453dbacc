"""Cache entries by key, as ``.npz`` arrays or raw bytes (JSON): the segment, cluster and document caches' storage.

A cache never stops a run and never repeats a failure on every run:

* a missing entry is a miss;
* a damaged entry (truncated, not a zip, wrong arrays) is a miss *with a note*, and is
  moved aside to ``<key>.damaged.npz`` so the next run rebuilds it instead of failing again;
* a folder that cannot be written (read-only, full disk) is still read; the entry is not
  kept and a note says so, once per store.

Entries are written to a ``.partial`` file and renamed into place, so a killed run leaves
no half-written entry under a real key. Partial files left by a killed run are removed by
the next write once they are an hour old.
"""

from __future__ import annotations

import contextlib
import os
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["NpzStore"]

_STALE_SECONDS = 3600


class NpzStore:
    """Entries by key in ``directory``: arrays in ``.npz`` files (:meth:`load`, :meth:`save`), or with
    ``suffix`` other than ``.npz`` raw bytes (:meth:`load_bytes`, :meth:`save_bytes`); problems are
    kept in :attr:`notes`."""

    def __init__(self, directory: Path, what: str, *, suffix: str = ".npz") -> None:
        self.directory = directory
        self.what = what
        """Names the cache in notes ("segment cache")."""
        self.suffix = suffix
        self.notes: list[str] = []
        self._write_failed = False
        self._swept = False

    def path(self, key: str) -> Path:
        return self.directory / f"{key}{self.suffix}"

    def load(self, key: str, names: tuple[str, ...]) -> dict[str, np.ndarray] | None:
        """The arrays ``names`` of entry ``key``, or ``None`` (a miss) when absent or damaged."""
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                return {name: data[name] for name in names}
        except (OSError, EOFError, KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
            self._set_aside(path, exc)
            return None

    def load_bytes(self, key: str) -> bytes | None:
        """The bytes of entry ``key``, or ``None`` (a miss) when absent or unreadable."""
        path = self.path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._set_aside(path, exc)
            return None

    def damaged(self, key: str, problem: Exception) -> None:
        """Entry ``key`` loaded but its contents do not fit (e.g. a document index out of range)."""
        self._set_aside(self.path(key), problem)

    def _set_aside(self, path: Path, problem: Exception) -> None:
        aside = path.with_name(f"{path.name.removesuffix(self.suffix)}.damaged{self.suffix}")
        try:
            path.replace(aside)
            where = f"moved to {aside.name}"
        except OSError:
            where = "left in place (cannot be moved)"
        self.notes.append(
            f"{self.what} entry {path} was damaged ({type(problem).__name__}: {problem}); "
            f"{where} and rebuilt"
        )

    def save(self, key: str, **arrays: Any) -> None:
        """Store ``arrays`` under ``key`` atomically; a folder that cannot be written only costs speed."""
        self._write(key, lambda partial: np.savez(partial, **arrays))

    def save_bytes(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` atomically; a folder that cannot be written only costs speed."""
        self._write(key, lambda partial: partial.write_bytes(data))

    def _write(self, key: str, write: Any) -> None:
        partial = self.path(key).with_suffix(f".{os.getpid()}.partial{self.suffix}")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            if not self._swept:  # once per store: a folder of 100,000 entries is not listed per write
                self._remove_stale_partials()
                self._swept = True
            write(partial)
            partial.replace(self.path(key))
        except OSError as exc:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            if not self._write_failed:
                self._write_failed = True
                self.notes.append(
                    f"{self.what} in {self.directory} cannot be written ({exc.strerror or exc}); "
                    "this run's result is not kept for the next one"
                )

    def _remove_stale_partials(self) -> None:
        now = time.time()
        for stale in self.directory.glob(f"*.partial{self.suffix}"):
            try:
                if now - stale.stat().st_mtime > _STALE_SECONDS:
                    stale.unlink()
            except OSError:
                continue
