"""UMAP whose seeded result does not depend on noise in the last bits of its spectral start.

UMAP with ``random_state`` is meant to give the same embedding on every run, and its random
draws do. Its starting layout does not always: the spectral solver (ARPACK through SciPy)
returned coordinates that differed by about 1e-16 from call to call, even within one process
and on one thread. Measured on the 20 Newsgroups test posts (20,000 sampled sentences, two
connected components, one of 10 points), 5 rows of the start differed by up to 6.6e-17.
UMAP's optimisation amplifies such a difference, so the same input gave one of two
clusterings (32 or 39 topics) depending on the run.

:class:`SeededUMAP` is a UMAP whose spectral start is rounded to :data:`START_DECIMALS`
decimals before UMAP scales it and adds its own seeded noise (1e-4). The start's scale is
about 1, so the rounding removes last-bit noise and leaves everything a layout could use.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import umap.umap_ as umap_module  # heavy (numba): import this module only where a clustering runs

START_DECIMALS = 6
"""Decimals kept of the spectral start (its coordinates lie within about ±2)."""


def rounded_start(layout: Any) -> Any:
    """``layout`` (UMAP's ``spectral_layout``) with its result rounded to :data:`START_DECIMALS`."""

    def rounded(*args: Any, **kwargs: Any) -> Any:
        start = np.asarray(layout(*args, **kwargs))
        return np.round(start.astype(np.float64), START_DECIMALS).astype(start.dtype)

    return rounded


class SeededUMAP(umap_module.UMAP):
    """``umap.UMAP`` whose fit uses the rounded spectral start (same settings, same methods)."""

    def _fit_embed_data(self, X: Any, n_epochs: Any, init: Any, random_state: Any, **kwargs: Any) -> Any:
        # UMAP's documented hook for subclasses. simplicial_set_embedding looks the spectral start
        # up as a module global, so it is swapped for the length of this call.
        layout = umap_module.spectral_layout
        umap_module.spectral_layout = rounded_start(layout)
        try:
            return super()._fit_embed_data(X, n_epochs, init, random_state, **kwargs)
        finally:
            umap_module.spectral_layout = layout
