"""Fixed-shape batching and the progress bar, shared by the embedders.

A text's vector must not depend on the texts embedded with it. Every forward pass
therefore has one shape: ``batch_size`` texts of one token length, so nothing is
padded; a short batch is filled with copies of its last text, whose rows are dropped.

Batches can run on several threads at once (``workers``), for a runtime whose forward
pass releases the GIL and is cheap to run side by side (onnxruntime's int8 graph, one
text per pass: two 1-thread passes at once embedded 1.7× as many sentences per second
on 2 cores as one 2-thread pass, with identical vectors).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np

from narratives.types import Vectors

BATCHING = "fixed"
"""Names the batching scheme in an embedder's identity (``+fixed16``)."""


def fixed_shape_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Indices into ``lengths`` in batches of at most ``batch_size`` texts of one token length.

    Longest texts first; within a length, input order.
    """
    groups: dict[int, list[int]] = {}
    for i, length in enumerate(lengths):
        groups.setdefault(length, []).append(i)
    return [
        members[j : j + batch_size]
        for length in sorted(groups, reverse=True)
        for members in (groups[length],)
        for j in range(0, len(members), batch_size)
    ]


def filled(batch: Sequence[int], batch_size: int) -> list[int]:
    """``batch`` padded to ``batch_size`` entries with copies of its last index."""
    return [*batch, *[batch[-1]] * (batch_size - len(batch))]


def embed_in_fixed_shapes(
    lengths: Sequence[int], batch_size: int, dimension: int, forward: Callable[[list[int]], Vectors],
    *, progress: bool = False, workers: int = 1,
) -> Vectors:
    """One row per text: ``forward`` gets the indices of exactly ``batch_size`` texts of one token
    length (``lengths`` gives each text's) and returns their vectors; the filler rows are dropped.

    With ``workers`` > 1, that many batches run at once on threads (``forward`` must be safe to
    call from several threads); the rows do not depend on it. On Ctrl-C the batches finished
    so far are kept (:class:`PartialEmbedding`) and the queued ones are cancelled.
    """
    groups = fixed_shape_batches(lengths, batch_size)
    out = np.empty((len(lengths), dimension), dtype=np.float32)
    done: list[int] = []

    def run(batch: list[int]) -> Vectors:
        return forward(filled(batch, batch_size))[: len(batch)]

    pool = ThreadPoolExecutor(workers, thread_name_prefix="embed") if workers > 1 else None
    results: Iterator[Vectors] = pool.map(run, groups) if pool else map(run, groups)
    try:
        with progress_bar(progress, len(lengths), len(groups)) as advance:
            for batch, vectors in zip(groups, results, strict=True):
                out[batch] = vectors
                done.extend(batch)
                advance()
    except KeyboardInterrupt:
        raise PartialEmbedding(np.asarray(done, dtype=np.intp), out[done]) from None
    finally:
        if pool:
            pool.shutdown(wait=True, cancel_futures=True)
    return out


class PartialEmbedding(KeyboardInterrupt):
    """Ctrl-C during embedding, carrying what was embedded before it: ``rows`` (indices into the
    texts) and their ``vectors``, so a cache can keep them and a re-run resumes from there."""

    def __init__(self, rows: np.ndarray, vectors: Vectors) -> None:
        super().__init__(f"interrupted after {len(rows):,} texts")
        self.rows = rows
        self.vectors = vectors


@contextmanager
def progress_bar(
    enabled: bool, n_texts: int, n_batches: int, *, unit: str = "batches", description: str | None = None
) -> Iterator[Callable[[], None]]:
    """One rich progress bar over batches (or chunks, or steps) on stderr; a no-op ``advance`` when
    disabled. ``description`` replaces "Embedding N segments"."""
    if not enabled:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(description or f"Embedding {n_texts:,} segments", total=n_batches)
        yield lambda: bar.advance(task)
