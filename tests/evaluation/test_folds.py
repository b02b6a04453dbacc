"""Cross-validation folds: group-wise folds never split a group; all are deterministic."""

from __future__ import annotations

import pytest

from narratives.errors import ConfigError
from narratives.evaluation.folds import assign_folds


def test_group_folds_never_split_a_group() -> None:
    groups = [f"P{i % 7}" for i in range(70)]
    codes = [f"c{i % 5}" for i in range(70)]
    folds = assign_folds(codes, groups, 5, seed=1)
    assert set(folds.tolist()) == set(range(5))
    for group in set(groups):
        assert len({int(f) for f, g in zip(folds, groups, strict=True) if g == group}) == 1
    assert (assign_folds(codes, groups, 5, seed=2) == folds).all()


def test_stratified_folds_are_seeded_and_balanced() -> None:
    codes = [f"c{i % 4}" for i in range(40)]
    folds = assign_folds(codes, None, 5, seed=3)
    assert (assign_folds(codes, None, 5, seed=3) == folds).all()
    for fold in range(5):
        assert sorted(c for c, f in zip(codes, folds, strict=True) if f == fold) == ["c0", "c0", "c1", "c1",
                                                                                       "c2", "c2", "c3", "c3"]


def test_more_folds_than_groups_is_refused() -> None:
    with pytest.raises(ConfigError, match="3 groups"):
        assign_folds(["a"] * 6, ["x", "x", "y", "y", "z", "z"], 4, seed=0)
