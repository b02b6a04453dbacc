"""A re-run with the same coded examples restores the learned aligner's fit instead of fitting again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from align_helpers import BagOfWordsEmbedder

from narratives.align.learned import LearnedAligner
from narratives.align.windows import plain_features
from narratives.models import Codebook, Example

WORDS = {
    0: "salary pay rent money debt wages",
    1: "family children mother wife home",
    2: "exam licence visa registration paperwork",
    3: "guilt patients left behind shame duty",
}


def _examples(codebook: Codebook) -> list[Example]:
    codes = [e.id for e in codebook.entries[:4]]
    out = []
    for k, code in enumerate(codes):
        for i in range(12):
            words = WORDS[k].split()
            text = f"{words[i % len(words)]} and {words[(i + 2) % len(words)]} mattered, said participant {i}"
            out.append(Example(text, code, True, group=f"P{i % 6}"))
    return out


def _aligner(cache: Path) -> LearnedAligner:
    return LearnedAligner(0.25, 0.2, tune=None, extra_models=(), cache_dir=cache)


def test_the_same_examples_restore_the_fit(tmp_path: Path, physician_codebook: Codebook, bow: BagOfWordsEmbedder,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    examples = _examples(physician_codebook)
    first = _aligner(tmp_path).fit(physician_codebook, bow, examples)
    texts = ["the rent and the debt", "my wife and children stayed home", "the licence exam"]
    x = plain_features(first.encoders, texts)
    assert len(list((tmp_path / "aligners").glob("*.npz"))) == 1

    def refit(*args: object, **kwargs: object) -> None:
        raise AssertionError("the classifier was fitted again")

    with monkeypatch.context() as patch:
        patch.setattr(LearnedAligner, "_train", refit)
        again = _aligner(tmp_path).fit(physician_codebook, bow, examples)
    assert np.array_equal(again.entry_scores(x), first.entry_scores(x))
    assert again.reliability_ == first.reliability_ and again.platt_ == first.platt_
    assert [a.score for a in again.assign(x)] == [a.score for a in first.assign(x)]

    changed = [*examples[:-1], Example("a new passage about wages", examples[-1].code, True, group="P9")]
    _aligner(tmp_path).fit(physician_codebook, bow, changed)
    assert len(list((tmp_path / "aligners").glob("*.npz"))) == 2


def test_a_damaged_fit_entry_is_fitted_again(tmp_path: Path, physician_codebook: Codebook,
                                             bow: BagOfWordsEmbedder) -> None:
    examples = _examples(physician_codebook)
    first = _aligner(tmp_path).fit(physician_codebook, bow, examples)
    for entry in (tmp_path / "aligners").glob("*.npz"):
        entry.write_bytes(b"cut short")
    again = _aligner(tmp_path).fit(physician_codebook, bow, examples)
    x = plain_features(first.encoders, ["the rent and the debt"])
    assert np.array_equal(again.entry_scores(x), first.entry_scores(x))
    assert list((tmp_path / "aligners").glob("*.damaged.npz"))
