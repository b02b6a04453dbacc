"""A few decisions move the coding only as far as they go: the codebook's zero-shot scores stay the prior.

Real all-MiniLM-L6-v2 on our own invented physician passages (``data/heldout_passages.csv``) and
off-topic small talk (``data/offtopic_passages.csv``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from narratives.align.learned import LearnedAligner
from narratives.align.windows import plain_features
from narratives.codebook.records import NONE_CODE
from narratives.models import UNASSIGNED, Codebook, Example
from narratives.types import Embedder

DATA = Path(__file__).parent / "data"


def _passages() -> list[tuple[str, str]]:
    with (DATA / "heldout_passages.csv").open(encoding="utf-8") as fh:
        coded = [(r["text"], r["subtheme"]) for r in csv.DictReader(fh)]
    with (DATA / "offtopic_passages.csv").open(encoding="utf-8") as fh:
        return coded + [(r["text"], NONE_CODE) for r in csv.DictReader(fh)]


def _code(aligner: LearnedAligner, texts: list[str]) -> list[str]:
    return [a.subtheme or a.theme for a in aligner.assign(plain_features(aligner.encoders, texts))]


def _aligner(cache: Path, prior: bool = True) -> LearnedAligner:
    return LearnedAligner(0.25, 0.2, tune=None, extra_models=(), cache_dir=cache, prior=prior,
                          regularization=0.2 if prior else 0.05, context_weight=0.0)


def _decide(passages: list[tuple[str, str]], proposed: list[str], picked: list[int]) -> list[Example]:
    """What a coder says of the proposals on ``picked``: accept, or recode to the right code (``none``:
    reject without a recode)."""
    out = []
    for i in picked:
        text, gold = passages[i]
        if gold != NONE_CODE:
            out.append(Example(text, gold, True, group=f"doc{i % 4}"))
        if proposed[i] not in (gold, UNASSIGNED):
            out.append(Example(text, proposed[i], False, group=f"doc{i % 4}"))
    return out


@pytest.mark.slow
def test_five_decisions_move_few_passages(
    tmp_path: Path, physician_codebook: Codebook, minilm: Embedder
) -> None:
    passages = _passages()
    texts = [t for t, _ in passages]
    zero = _code(_aligner(tmp_path).fit(physician_codebook, minilm), texts)
    picked = [0, 9, 17, 26, 41]
    decisions = _decide(passages, zero, picked)
    after = _code(_aligner(tmp_path).fit(physician_codebook, minilm, decisions), texts)
    before_plain = _code(_aligner(tmp_path, prior=False).fit(physician_codebook, minilm, decisions), texts)
    others = [i for i in range(len(passages)) if i not in picked]
    moved = [i for i in others if after[i] != zero[i]]
    right = {i for i in others if (zero[i] if zero[i] != UNASSIGNED else NONE_CODE) == passages[i][1]}
    now_right = {i for i in others if (after[i] if after[i] != UNASSIGNED else NONE_CODE) == passages[i][1]}
    plain_moved = [i for i in others if before_plain[i] != zero[i]]
    assert len(moved) <= len(others) // 5, (len(moved), len(others))
    assert len(moved) < len(plain_moved)  # the same decisions without the prior swing far more
    assert len(right - now_right) <= 2  # what they break (the shared sets measure the ratio: benchmarks/)


@pytest.mark.slow
def test_no_code_fits_and_a_code_only_ever_rejected(
    tmp_path: Path, physician_codebook: Codebook, minilm: Embedder
) -> None:
    passages = _passages()
    texts = [t for t, _ in passages]
    first = _aligner(tmp_path).fit(physician_codebook, minilm)
    zero = first.assign(plain_features(first.encoders, texts))
    small_talk = [i for i, (_, gold) in enumerate(passages) if gold == NONE_CODE]
    rejected_code = next(z.subtheme or z.theme for z in zero if z.theme != UNASSIGNED)
    taken = [i for i, z in enumerate(zero) if (z.subtheme or z.theme) == rejected_code][:2]
    decisions = [Example(texts[i], NONE_CODE, True, group=f"doc{i % 3}") for i in small_talk[:6]]
    decisions += [Example(texts[i], rejected_code, False, group=f"doc{i % 3}") for i in taken]
    decisions += [Example(texts[i], gold, True, group=f"doc{i % 3}") for i, (_, gold) in enumerate(passages[:6])
                  if i not in taken]
    learned = _aligner(tmp_path).fit(physician_codebook, minilm, decisions)
    after = learned.assign(plain_features(learned.encoders, texts))
    unseen_talk = small_talk[6:]
    # the unseen small talk scores lower than before: "no code fits" taught the model what it looks like
    assert sum(after[i].score for i in unseen_talk) < 0.8 * sum(zero[i].score for i in unseen_talk)
    assert sum(after[i].theme != UNASSIGNED for i in unseen_talk) <= sum(zero[i].theme != UNASSIGNED
                                                                         for i in unseen_talk)
    count = sum((a.subtheme or a.theme) == rejected_code for a in after)
    assert count <= sum((z.subtheme or z.theme) == rejected_code for z in zero)  # only rejected: never grows
    check = learned.describe()["check"]
    assert check is not None and check["decisions"] > 0


def test_a_round_is_called_better_or_worse_only_beyond_chance() -> None:
    """The verdict is a sign test on the decided passages only one coding gets right."""
    from narratives.align.learned import RoundCheck
    from narratives.cli.summary import round_check_text

    assert RoundCheck(40, 19, 18, 3, 4, 0).verdict == "no clear difference"
    assert RoundCheck(40, 10, 20, 12, 2, 0).verdict == "better"
    worse = RoundCheck(40, 20, 14, 0, 6, 3)
    assert worse.verdict == "worse"
    text = round_check_text({**{k: getattr(worse, k) for k in worse.__slots__}, "verdict": worse.verdict})
    assert "made coding worse" in text and "still codes 3 decided passages otherwise" in text
