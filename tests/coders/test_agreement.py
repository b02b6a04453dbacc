"""Agreement statistics: hand-worked examples and the `krippendorff` reference package."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from narratives.codebook.records import NONE_CODE, CoderDecision
from narratives.coders.agreement import (
    bootstrap,
    cohen_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
)
from narratives.coders.agreement_report import build_report
from narratives.models import Codebook, Theme


def test_hand_worked_two_coders() -> None:
    a = ["x", "x", "x", "y"]
    b = ["x", "x", "y", "y"]
    assert percent_agreement(a, b) == 0.75
    # p_e = 3/4*2/4 + 1/4*2/4 = 0.5 -> kappa = (0.75 - 0.5) / 0.5
    assert cohen_kappa(a, b) == pytest.approx(0.5)
    # pi_x = 5/8, pi_y = 3/8, p_e = 2 * 15/64 / (2 - 1) = 0.46875 -> AC1 = 0.28125 / 0.53125
    assert gwet_ac1(a, b) == pytest.approx(0.28125 / 0.53125)


def test_only_units_both_coded_count() -> None:
    """Uncoded units (None) must not inflate or deflate agreement."""
    a = ["x", "x", None, "y", None]
    b = ["x", "x", "y", None, None]
    assert percent_agreement(a, b) == 1.0
    assert math.isnan(cohen_kappa(a, b))  # one code only on the shared units: kappa undefined


def test_kappa_collapses_where_ac1_does_not() -> None:
    """The kappa paradox: 90% agreement on a skewed code gives kappa below zero, AC1 high."""
    a = ["x"] * 18 + ["x", "y"]
    b = ["x"] * 18 + ["y", "x"]
    assert percent_agreement(a, b) == 0.9
    assert cohen_kappa(a, b) < 0
    assert gwet_ac1(a, b) > 0.85


def test_alpha_hand_worked() -> None:
    """Krippendorff (2011), nominal, 2 coders, 4 units with one disagreement:
    o_xx = 4, o_yy = 2, o_xy = o_yx = 1; n = 8; alpha = 1 - 7 * 2 / (64 - 25 - 9)."""
    assert krippendorff_alpha([["x", "x", "y", "x"], ["x", "x", "y", "y"]]) == pytest.approx(1 - 7 * 2 / 30)


def test_alpha_matches_the_reference_package_with_missing_data() -> None:
    krippendorff = pytest.importorskip("krippendorff")
    rng = random.Random(3)
    cats = ["pay", "exams", "rota", "none"]
    for _ in range(20):
        ratings = [[rng.choice([*cats, None]) for _ in range(40)] for _ in range(rng.choice([2, 3, 4]))]
        index = {c: i for i, c in enumerate(cats)}
        data = np.array([[np.nan if v is None else index[v] for v in r] for r in ratings], dtype=float)
        expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        assert krippendorff_alpha(ratings) == pytest.approx(expected, abs=1e-9)


def test_kappa_matches_scikit_learn() -> None:
    from sklearn.metrics import cohen_kappa_score

    rng = random.Random(5)
    a = [rng.choice("abcde") for _ in range(200)]
    b = [x if rng.random() < 0.7 else rng.choice("abcde") for x in a]
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


def test_bootstrap_interval_is_seeded_and_brackets_the_value() -> None:
    rng = random.Random(9)
    a = [rng.choice("ab") for _ in range(60)]
    b = [x if rng.random() < 0.8 else rng.choice("ab") for x in a]
    xa, ya = np.array(a, dtype=object), np.array(b, dtype=object)

    def stat(idx: np.ndarray) -> float:
        return percent_agreement(list(xa[idx]), list(ya[idx]))

    one, two = bootstrap(stat, 60, reps=300, seed=1), bootstrap(stat, 60, reps=300, seed=1)
    assert one == two
    assert one.low <= one.value <= one.high and one.high - one.low > 0.05


CB = Codebook("t", (Theme("pay", "Pay", "salary"), Theme("late", "Late pay", "late", parent="pay"),
                    Theme("exams", "Exams", "licensing")))


def test_report_counts_pairs_on_shared_units_and_lists_disagreements() -> None:
    decisions = [
        CoderDecision("A", "u1", "late", "accept", "late", text="Paid late."),
        CoderDecision("A", "u2", "exams", "recode", "late", text="The PLAB fee."),
        CoderDecision("A", "u3", NONE_CODE, "reject", "exams", text="Nice weather."),
        CoderDecision("B", "u1", "pay", "recode", "late", text="Paid late."),
        CoderDecision("B", "u2", "exams", "recode", "late", text="The PLAB fee."),
    ]
    report = build_report(decisions, CB, reps=100)
    pairs = report.pairs.set_index(["rater_a", "rater_b", "level"])
    assert pairs.loc[("A", "B", "code"), "units_both_coded"] == 2  # u3 was coded by A only
    assert pairs.loc[("A", "B", "code"), "percent_agreement"] == 0.5
    assert pairs.loc[("A", "B", "theme"), "percent_agreement"] == 1.0  # late is a subtheme of pay
    assert pairs.loc[("machine", "A", "code"), "percent_agreement"] == pytest.approx(1 / 3, abs=1e-4)
    precision = report.precision.set_index(["coder", "proposed_code"])
    assert precision.loc[("A", "(all)"), "accepted"] == 1 and precision.loc[("A", "(all)"), "judged"] == 3
    assert set(report.disagreements["unit_id"]) == {"u1", "u2", "u3"}
    # decisions become examples: accept, recode (with the proposal as a rejected example), reject
    ex = report.examples
    assert list(ex[ex.coder == "A"].decision) == ["accept", "recode", "reject"]


def test_per_code_figures_a_paper_can_quote() -> None:
    """A code one rater never used has no kappa (it would read 0.00 [0.00, 0.00]); few units are marked."""
    decisions = [
        CoderDecision("A", f"u{i}", code, "accept" if code != NONE_CODE else "reject", "pay", text=f"t{i}")
        for i, code in enumerate(["pay", "pay", "exams", NONE_CODE, "pay"])
    ] + [CoderDecision("B", f"u{i}", "pay", "accept", "pay", text=f"t{i}") for i in range(5)]
    report = build_report(decisions, CB, reps=50)
    per = report.per_code.set_index(["rater_a", "rater_b", "code"])
    exams = per.loc[("A", "B", "exams")]
    assert exams["cohen_kappa"] is None or exams["cohen_kappa"] != exams["cohen_kappa"]
    assert "not estimable: B never used this code" in exams["note"]
    assert "only 5 units" in per.loc[("A", "B", "pay"), "note"]
    assert per.loc[("A", "B", "pay"), "gwet_ac1"] is not None


def test_a_blind_coders_none_counts_against_the_hidden_proposal() -> None:
    from narratives.coders.records import Candidate

    proposals = [Candidate(f"u{i}", "d", "d.txt", "P1", 0, 2, f"t{i}", "", "", "pay", "", 0.9) for i in range(3)]
    decisions = [
        CoderDecision("A", "u0", "pay", "code", text="t0"),
        CoderDecision("A", "u1", NONE_CODE, "code", text="t1"),
        CoderDecision("A", "u2", "exams", "code", text="t2"),
    ]
    report = build_report(decisions, CB, candidates=proposals, reps=50)
    examples = report.examples.set_index("text")
    assert examples.loc["t0", ["code", "decision"]].tolist() == ["pay", "accept"]
    assert examples.loc["t1", ["code", "decision"]].tolist() == ["pay", "reject"]  # was dropped
    assert examples.loc["t2", ["code", "decision", "recode_to"]].tolist() == ["pay", "recode", "exams"]
    precision = report.precision.set_index(["coder", "proposed_code"])
    assert precision.loc[("A", "(all)"), ["judged", "accepted"]].tolist() == [3, 1]
