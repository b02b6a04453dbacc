"""Fixed-shape batches run one after another or side by side on threads, with the same rows."""

from __future__ import annotations

import numpy as np
import pytest

from narratives.embed._batching import PartialEmbedding, embed_in_fixed_shapes

LENGTHS = [5, 3, 5, 9, 3, 3, 7, 5, 9, 1, 3, 5] * 4


def vector_of(index: int) -> np.ndarray:
    return np.array([index, LENGTHS[index], index * 0.5], dtype=np.float32)


def forward(rows: list[int]) -> np.ndarray:
    assert len({LENGTHS[i] for i in rows}) == 1, "a pass mixed token lengths"
    return np.vstack([vector_of(i) for i in rows])


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_rows_follow_the_texts_however_many_workers(workers: int) -> None:
    out = embed_in_fixed_shapes(LENGTHS, 3, 3, forward, workers=workers)
    assert np.array_equal(out, np.vstack([vector_of(i) for i in range(len(LENGTHS))]))


@pytest.mark.parametrize("workers", [1, 2])
def test_an_interrupt_keeps_the_batches_already_embedded(workers: int) -> None:
    def interrupted(rows: list[int]) -> np.ndarray:
        if LENGTHS[rows[0]] == 3:  # the fourth length group, longest first
            raise KeyboardInterrupt
        return forward(rows)

    with pytest.raises(PartialEmbedding) as caught:
        embed_in_fixed_shapes(LENGTHS, 2, 3, interrupted, workers=workers)
    rows = caught.value.rows
    kept = {LENGTHS[i] for i in rows}
    assert kept == {9, 7, 5}  # every batch before the interrupted one, none after it
    assert np.array_equal(caught.value.vectors, np.vstack([vector_of(int(i)) for i in rows]))
