"""Deterministic cross-validation folds over coded passages."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from narratives.errors import ConfigError


def assign_folds(codes: Sequence[str], groups: Sequence[str] | None, folds: int, seed: int) -> NDArray[np.int64]:
    """The test fold (``0..folds-1``) of every passage.

    With ``groups``, folds are group-wise (scikit-learn ``GroupKFold``): a whole document or
    session is held out together, and the split does not depend on the seed. Without,
    folds are stratified by code (``StratifiedKFold``, shuffled with ``seed``); codes rarer
    than ``folds`` are spread as evenly as they can be.

    Raises:
        ConfigError: fewer than two folds, more folds than passages, or than groups.
    """
    from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold

    n = len(codes)
    if folds < 2:
        raise ConfigError(f"--folds must be at least 2, not {folds}")
    if folds > n:
        raise ConfigError(f"--folds {folds} is more than the {n} coded passages; use fewer folds")
    out = np.full(n, -1, dtype=np.int64)
    x = np.zeros((n, 1))
    if groups is not None:
        distinct = len(set(groups))
        if folds > distinct:
            raise ConfigError(
                f"--folds {folds} is more than the {distinct} groups in the group column; use --folds {distinct} "
                "or fewer"
            )
        splits = GroupKFold(n_splits=folds).split(x, groups=list(groups))
    else:
        with warnings.catch_warnings():
            # Codes rarer than the number of folds are expected in small gold sets.
            warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
            try:
                splits = list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(x, list(codes)))
            except ValueError:  # every code is rarer than the number of folds: stratifying is moot
                splits = list(KFold(n_splits=folds, shuffle=True, random_state=seed).split(x))
    for fold, (_, test) in enumerate(splits):
        out[test] = fold
    return out
