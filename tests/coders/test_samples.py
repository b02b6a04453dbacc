"""What a coder is handed next: the least sure passages, spread over every code."""

from __future__ import annotations

from narratives.coders.export import _uncertain_sample
from narratives.coders.records import Candidate


def _unit(n: int, theme: str, score: float, nearest: str, coded_by: str = "machine") -> Candidate:
    return Candidate(f"s{n}", f"doc{n % 5}", "f.txt", "P1", 0, 1, "x", "", "", theme, "", score,
                     nearest=nearest, coded_by=coded_by)


def test_unassigned_passages_are_asked_about_under_their_nearest_code_and_decided_ones_are_not() -> None:
    units = [_unit(i, "salary", 0.3 + i / 100, "salary") for i in range(10)]
    # the machine never proposes "exams": only unassigned passages are near it
    units += [_unit(10 + i, "unassigned", 0.05 + i / 100, "exams") for i in range(5)]
    units += [_unit(20 + i, "unassigned", 0.01 + i / 100, "family") for i in range(5)]
    units += [_unit(30, "unassigned", 0.0, "family", coded_by="coder")]  # a coder said no code fits
    picked = _uncertain_sample(units, 6)
    nearest = sorted(u.nearest for u in picked)
    assert nearest == ["exams", "exams", "family", "family", "salary", "salary"]
    assert "s30" not in {u.unit_id for u in picked}
    assert {u.unit_id for u in picked if u.nearest == "salary"} == {"s0", "s1"}  # least sure first
