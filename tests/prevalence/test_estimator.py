"""The prevalence estimator: a hand-worked example, the method authors' package, and coverage."""

from __future__ import annotations

import importlib
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from narratives.prevalence.estimator import Z95, ppi_share, sample_size_for

# four verified segments of a corpus of ten; the first four of ``ALL`` are the verified ones
Y = [1, 0, 1, 0]
Y_HAT = [1, 0, 0, 0]
ALL = [1, 0, 0, 0, 1, 1, 0, 0, 0, 0]


def test_hand_worked_example_with_the_machine_fully_trusted() -> None:
    est = ppi_share(Y, Y_HAT, ALL, lam=1.0)
    # machine share 3/10, plus the mean correction (0 + 0 + 1 + 0) / 4 on the sample
    assert est.machine_share == pytest.approx(0.3)
    assert est.share == pytest.approx(0.55)
    # residuals [0, 0, 1, 0] have variance 1/4; with one pseudo-segment of each (coder, machine)
    # pair they are [0, 0, 1, 0, 0, -1, 1, 0]: mean 1/8, variance 2.875 / 7, the larger one is used
    var = (1 - 4 / 10) * (2.875 / 7) / 4
    assert est.std_error == pytest.approx(math.sqrt(var))
    assert est.low == pytest.approx(0.55 - Z95 * math.sqrt(var))
    assert est.high == 1.0  # 0.55 + 0.486 is clipped


def test_hand_worked_example_from_the_sample_alone() -> None:
    est = ppi_share(Y, Y_HAT, ALL, lam=0.0)
    assert est.share == pytest.approx(0.5)
    # variance of [1, 0, 1, 0] is 1/3; padded [1, 0, 1, 0, 1, 0, 1, 0] gives 2/7: 1/3 is used
    assert est.std_error == pytest.approx(math.sqrt((1 - 0.4) * (1 / 3) / 4))


def _ppi_python():  # type: ignore[no-untyped-def]
    """The authors' ppi_py, unpacked by `make ppi-reference` (its wheel's top-level `tests` package
    would hide ours if it were installed)."""
    folder = Path(__file__).resolve().parents[2] / ".cache" / "ppi-python-0.2.3"
    if not (folder / "ppi_py" / "__init__.py").is_file():
        pytest.skip(f"ppi-python is not unpacked in {folder}: run `make ppi-reference`")
    sys.path.append(str(folder))
    with warnings.catch_warnings():  # ppi_py silences every warning of the process on import
        return importlib.import_module("ppi_py")


def test_agrees_with_ppi_python_on_its_own_population_model() -> None:
    ppi = _ppi_python()
    rng = np.random.default_rng(3)
    truth = (rng.random(3000) < 0.3).astype(float)
    machine = np.where(truth == 1, rng.random(3000) < 0.8, rng.random(3000) < 0.1).astype(float)
    sample = rng.choice(3000, 300, replace=False)
    ours = ppi_share(truth[sample], machine[sample], machine, population="super")
    low, high = ppi.ppi_mean_ci(truth[sample], machine[sample], machine, alpha=0.05)
    point = ppi.ppi_mean_pointestimate(truth[sample], machine[sample], machine, lam=ours.lam)
    assert ours.share == pytest.approx(float(np.squeeze(point)), abs=1e-12)
    assert (ours.low, ours.high) == pytest.approx((float(np.squeeze(low)), float(np.squeeze(high))), abs=1e-9)


@pytest.mark.parametrize(("share", "sensitivity", "false_positive"), [(0.2, 0.8, 0.1), (0.05, 0.6, 0.05)])
def test_intervals_cover_the_true_share_about_95_percent_of_the_time(
        share: float, sensitivity: float, false_positive: float) -> None:
    """Many random samples of 100 from one labelled corpus: the 95% interval holds the corpus'
    true share in 92-99% of draws, and is narrower than the verified sample's own interval."""
    rng = np.random.default_rng(11)
    n_all, n, draws = 2000, 100, 400
    truth = (rng.random(n_all) < share).astype(float)
    machine = np.where(truth == 1, rng.random(n_all) < sensitivity, rng.random(n_all) < false_positive
                       ).astype(float)
    target = truth.mean()
    hits, widths, alone = 0, [], []
    for _ in range(draws):
        sample = rng.choice(n_all, n, replace=False)
        est = ppi_share(truth[sample], machine[sample], machine)
        hits += est.low <= target <= est.high
        widths.append(est.high - est.low)
        only = ppi_share(truth[sample], machine[sample], machine, lam=0.0)
        alone.append(only.high - only.low)
    assert 0.92 <= hits / draws <= 0.99
    assert np.mean(widths) < np.mean(alone)


def test_a_code_no_verified_segment_shows_still_gets_an_upper_bound() -> None:
    est = ppi_share([0] * 50, [0] * 50, [0] * 1000)
    assert est.share == 0.0 and est.high > 0.02  # not the width-0 interval a plain normal one gives


def test_sample_size_for_five_points_shrinks_the_interval_to_five_points() -> None:
    rng = np.random.default_rng(5)
    truth = (rng.random(5000) < 0.4).astype(float)
    machine = np.where(rng.random(5000) < 0.7, truth, 1 - truth)
    first = ppi_share(truth[:60], machine[:60], machine)
    need = sample_size_for(first, 0.05)
    assert first.half_width > 0.05 and need > 60
    later = ppi_share(truth[:need], machine[:need], machine)
    assert later.half_width == pytest.approx(0.05, abs=0.012)


def test_planned_sample_size_is_the_textbook_385_for_a_large_corpus() -> None:
    from narratives.prevalence.estimator import planned_sample_size

    assert planned_sample_size([0.1, 0.5, 0.2], 10**9) == 385  # 1.96² · ¼ / 0.05²
    assert planned_sample_size([0.1, 0.5], 1000) == 278  # the finite-population correction
    assert planned_sample_size([0.2], 5) == 5  # never more than the corpus
