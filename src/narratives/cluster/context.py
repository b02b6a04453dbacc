"""Neighbour context for clustering: a short sentence borrows topic from its neighbours.

Spoken answers are full of sentences like "Difficult, but written down." that say little
alone. For clustering (not for coding), each segment's vector is blended with those of
the segments just before and after it *in the same turn or paragraph*:
``v_i + w * (v_{i-1} + v_{i+1})``, re-normalised. ``w = 0`` leaves vectors unchanged.

Measured on the demo corpus (1,107 coded sentences, seed 42): outliers fell from 30% to
16% at ``w = 0.5``, and talk about health-tech start-ups formed one cluster instead of
scattering.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from narratives.models import Segment
from narratives.types import Vectors


def with_context(embeddings: Vectors, segments: Sequence[Segment], weight: float) -> Vectors:
    """Blend each row with its same-block neighbours; rows follow ``segments``."""
    if weight <= 0 or len(segments) < 2:
        return embeddings
    blended = embeddings.astype(np.float64, copy=True)
    same_block = np.array(
        [a.doc_id == b.doc_id and a.block == b.block for a, b in pairwise(segments)]
    )
    prev_rows = np.flatnonzero(same_block)
    blended[prev_rows + 1] += weight * embeddings[prev_rows]  # the segment before
    blended[prev_rows] += weight * embeddings[prev_rows + 1]  # the segment after
    blended /= np.maximum(np.linalg.norm(blended, axis=1, keepdims=True), 1e-12)
    return blended.astype(np.float32)
