"""Where the parallel stages run: in this process, or on a Ray cluster.

A backend is one operation, :meth:`Backend.map`: apply ``fn(shared, item)`` to every
item and return the results in order. ``shared`` is what every worker needs once (the
embedding model, the fitted topic map, the fitted aligner); ``items`` are batches of
work (files, documents, texts, rows of vectors). The pipeline cuts the batches itself,
by position, so the results never depend on how many workers there are: the Ray backend
gives the same output files as the local one.

Example:
    >>> from narratives.backends import build_backend
    >>> from narratives.config import BackendConfig
    >>> with build_backend(BackendConfig()) as backend:
    ...     backend.map(lambda base, x: base + x, 10, [1, 2, 3])
    [11, 12, 13]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Protocol, TypeVar

from narratives.config import BackendConfig
from narratives.types import Mapper

S = TypeVar("S")
X = TypeVar("X")
Y = TypeVar("Y")


class _Sliceable(Protocol):
    def __len__(self) -> int: ...

    def __getitem__(self, index: slice, /) -> Any: ...


B = TypeVar("B", bound=_Sliceable)


def batches(items: B, size: int) -> list[B]:
    """``items`` cut by position into consecutive pieces of ``size`` (the last may be shorter).

    Work is always cut this way, never by the number of workers, so results do not depend
    on where the pieces run.
    """
    return [items[i : i + size] for i in range(0, len(items), size)]


def local_map(fn: Callable[[S, X], Y], shared: S, items: Sequence[X]) -> list[Y]:
    """The in-process :data:`Mapper`."""
    return [fn(shared, item) for item in items]


class Backend(Protocol):
    """Runs batches of work, in order; a context manager that releases its workers."""

    name: str

    def map(self, fn: Callable[[S, X], Y], shared: S, items: Sequence[X]) -> list[Y]: ...

    def describe(self) -> dict[str, object]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Backend: ...

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class LocalBackend:
    """Everything in this process, one batch after another."""

    name = "local"

    def map(self, fn: Callable[[S, X], Y], shared: S, items: Sequence[X]) -> list[Y]:
        return local_map(fn, shared, items)

    def describe(self) -> dict[str, object]:
        return {"name": self.name}

    def close(self) -> None:
        return None

    def __enter__(self) -> LocalBackend:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def build_backend(config: BackendConfig) -> Backend:
    """The configured backend; Ray is imported (and started or joined) only for ``ray``.

    Raises:
        ConfigError: ``ray`` was asked for and Ray is not installed or cannot be reached.
    """
    if config.name == "ray":
        from narratives.backends.ray_backend import RayBackend

        return RayBackend(address=config.ray_address, workers=config.workers)
    return LocalBackend()


__all__ = ["Backend", "LocalBackend", "Mapper", "batches", "build_backend", "local_map"]
