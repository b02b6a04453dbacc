"""The calibrated aligner: probabilities, learning from coded examples, multi-label."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from align_helpers import DATA, BagOfWordsEmbedder

from narratives.align import ALIGNERS, CalibratedAligner, build_aligner
from narratives.align.calibrated import zero_shot_probabilities
from narratives.config import AlignConfig
from narratives.embed import SentenceTransformerEmbedder
from narratives.errors import NotFittedError
from narratives.models import UNASSIGNED, Codebook, Example, Theme

FLAT = Codebook(
    name="flat",
    entries=(
        Theme("pay", "Pay", "salary money wages income", keywords=("salary", "wages")),
        Theme("exams", "Exams", "licensing exams plab usmle fees"),
        Theme("rota", "Rota", "working hours night shifts rest"),
    ),
)


# ---------------------------------------------------------------- plumbing (fast)


def test_calibrated_is_built_by_name() -> None:
    assert {"prototype", "calibrated", "learned"} <= set(ALIGNERS.names())
    aligner = build_aligner(AlignConfig(method="calibrated"))
    assert isinstance(aligner, CalibratedAligner)
    assert aligner.threshold == 0.25


def test_not_fitted() -> None:
    with pytest.raises(NotFittedError):
        CalibratedAligner().assign(np.zeros((1, 64), dtype=np.float32))


def test_zero_shot_probabilities_in_unit_interval_and_monotone() -> None:
    rng = np.random.default_rng(0)
    sims = rng.uniform(-0.2, 0.8, size=(200, 6))
    p = zero_shot_probabilities(sims, temperature=0.05, center=0.25)
    assert (p >= 0).all() and (p <= 1).all()
    assert (p.sum(axis=1) <= 1 + 1e-9).all()
    # raising a theme's similarity (others fixed) never lowers its probability
    bumped = sims.copy()
    bumped[:, 0] += 0.05
    assert (zero_shot_probabilities(bumped, 0.05, 0.25)[:, 0] >= p[:, 0] - 1e-12).all()


def test_scores_in_unit_interval_and_calibration_monotone(bow: BagOfWordsEmbedder) -> None:
    words = {"pay": "salary wages money income", "exams": "plab usmle exam fees", "rota": "night shift hours rest"}
    examples = [
        Example(f"{w} {i} {' '.join(words[c].split()[: 1 + i % 4])}", c, True, group=f"s{i % 4}")
        for c, w in words.items()
        for i in range(12)
    ]
    aligner = CalibratedAligner(threshold=0.0).fit(FLAT, bow, examples)
    assert aligner.classifier_ is not None
    x = bow.embed(["my salary and wages", "plab exam fees again", "night shifts", "the weather today"])
    scores = [a.score for a in aligner.assign(x)]
    assert all(0.0 <= s <= 1.0 for s in scores)
    if aligner.calibration_ is not None:
        grid = np.linspace(0, 1, 50)
        out = aligner.calibration_.predict(grid)
        assert (np.diff(out) >= -1e-12).all() and out.min() >= 0 and out.max() <= 1


def test_rejected_examples_never_raise_their_code(bow: BagOfWordsEmbedder) -> None:
    base = [Example("salary wages money", "pay"), Example("plab exam fees", "exams")]
    rejected = [Example("night shift hours rest salary", "pay", accepted=False)]
    x = bow.embed(["night shift hours rest salary"])
    before = CalibratedAligner(threshold=0.0).fit(FLAT, bow, base).probabilities(x)
    after = CalibratedAligner(threshold=0.0).fit(FLAT, bow, base + rejected).probabilities(x)
    assert after[0, 0] <= before[0, 0] + 1e-12


def test_multi_label_reports_second_theme(bow: BagOfWordsEmbedder) -> None:
    aligner = CalibratedAligner(threshold=0.05, multi_label=True, temperature=1.0).fit(FLAT, bow)
    a = aligner.assign(bow.embed(["salary wages plab exams fees"]))[0]
    assert a.theme in {"pay", "exams"}
    assert [t for t, _ in a.also] == [{"pay", "exams"}.difference({a.theme}).pop()]
    assert all(0.0 <= s <= a.score for _, s in a.also)


def test_assign_clusters(bow: BagOfWordsEmbedder) -> None:
    aligner = CalibratedAligner(threshold=0.0, cluster_threshold=0.0).fit(FLAT, bow)
    x = bow.embed(["salary wages", "income money", "plab exam", "usmle fees", "zzz"])
    out = aligner.assign_clusters(np.array([0, 0, 1, 1, -1]), x)
    assert set(out) == {0, 1}
    assert out[0].best_theme == "pay" and out[1].best_theme == "exams"


@pytest.mark.parametrize("method", ["prototype", "calibrated"])
def test_a_blocked_code_is_never_assigned_and_the_encoder_stays_home(bow: BagOfWordsEmbedder, method: str) -> None:
    """What a coder's rejection does at coding time, for both codebook-only aligners; a copy sent
    to a worker carries no embedder."""
    import pickle

    aligner = build_aligner(AlignConfig(method=method, threshold=0.0)).fit(FLAT, bow)
    x = bow.embed(["salary wages income", "salary wages income"])
    free, blocked = aligner.assign(x, blocked=[frozenset(), frozenset({"pay"})])
    assert free.theme == "pay" and blocked.theme != "pay" and blocked.best_theme != "pay"
    assert aligner.encoders == (bow,)
    copy = pickle.loads(pickle.dumps(aligner))
    assert copy.encoders == (None,) and copy.assign(x)[0] == free


# ---------------------------------------------------------------- real model (slow)


@pytest.mark.slow
def test_plain_passage_and_off_topic(minilm: SentenceTransformerEmbedder, physician_codebook: Codebook) -> None:
    aligner = build_aligner(AlignConfig()).fit(physician_codebook, minilm)
    plain, off = aligner.assign(
        minilm.embed(
            [
                "My salary as a registrar could not even cover my children's school fees.",
                "Sorry, can you hear me? My internet keeps dropping, let me switch off the video.",
            ]
        )
    )
    assert plain.theme == physician_codebook.top_level("salary-inadequacy")
    assert plain.subtheme == "salary-inadequacy"
    assert off.theme == UNASSIGNED


@pytest.mark.slow
def test_heldout_calibration(minilm: SentenceTransformerEmbedder, physician_codebook: Codebook) -> None:
    with (DATA / "heldout_passages.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    aligner = build_aligner(AlignConfig()).fit(physician_codebook, minilm)
    out = aligner.assign(minilm.embed([r["text"] for r in rows]))
    ok = np.array([a.best_theme == physician_codebook.top_level(r["subtheme"]) for a, r in zip(out, rows, strict=True)])
    high = np.array([a.score >= 0.8 for a in out])
    assert ok.mean() >= 0.85
    assert high.any() and ok[high].mean() >= 0.8


@pytest.mark.slow
def test_ambiguous_code_is_learned_from_five_examples(minilm: SentenceTransformerEmbedder) -> None:
    # "Second shift" is ambiguous by its definition alone; coders used it for childcare.
    cb = Codebook(
        name="invented",
        entries=(
            Theme("second-shift", "Second shift", "The other shift."),
            Theme("night-duty", "Night duty", "Working night shifts and on-call duty at the hospital."),
            Theme("pay", "Pay", "Salary, wages and income of doctors."),
        ),
    )
    childcare = [
        "After my duty I go home and cook, clean and put the children to bed.",
        "Nobody at home helps with the kids; when I finish at the hospital my real work starts.",
        "My mother-in-law expects dinner ready even after a thirty-hour call.",
        "I do the school run, the homework and the laundry on my days off.",
        "Being a doctor and the only one looking after the house is exhausting.",
    ]
    others = [
        Example("I was on call three nights in a row in the emergency ward.", "night-duty"),
        Example("Night shifts in casualty left me with no sleep at all.", "night-duty"),
        Example("My salary barely covered the rent.", "pay"),
        Example("The pay for a house officer is shameful.", "pay"),
    ]
    probe = minilm.embed(["When I get back from the ward I still have to feed the children and wash the dishes."])
    before = CalibratedAligner(threshold=0.0).fit(cb, minilm, others).assign(probe)[0]
    examples = others + [Example(t, "second-shift") for t in childcare]
    after = CalibratedAligner(threshold=0.0).fit(cb, minilm, examples).assign(probe)[0]
    assert before.best_theme != "second-shift"
    assert after.best_theme == "second-shift"
