"""Cleaning of papers and editorials, on small made-up texts."""

from __future__ import annotations

from pathlib import Path

import pytest

from narratives.loaders import load_document
from narratives.loaders.furniture import strip_citations
from narratives.loaders.kinds import infer_kind
from narratives.loaders.paragraphs import Unit


@pytest.mark.parametrize(("before", "after"), [
    ("Pay is low (Author, 2023).", "Pay is low."),
    ("Pay is low (Smith et al., 2019; Khan 2020), they say.", "Pay is low, they say."),
    ("Pay is low (Abbas & Guriro, 2018). Next.", "Pay is low. Next."),
    ("Pay is low [12].", "Pay is low."),
    ("Pay is low [1-3] and [2, 5].", "Pay is low and."),
    ("Pay is low [@problem_id:4967880].", "Pay is low."),
    ("The team lost its [cohesion](@entry_id:188479).", "The team lost its cohesion."),
    ("Contact a.b@uni.edu.pk for data.", "Contact for data."),
    ("The WHO Code (2010) and the HEC (Pakistan) stay.", "The WHO Code (2010) and the HEC (Pakistan) stay."),
])
def test_citation_markers(before: str, after: str) -> None:
    assert strip_citations(before) == after


def test_paper_front_matter_references_and_page_breaks(tmp_path: Path) -> None:
    body = " ".join(["Doctors trained in Lahore leave for the Gulf because training posts are scarce."] * 3)
    path = tmp_path / "paper.md"
    path.write_text(
        "**ORIGINAL ARTICLE****Why Doctors Leave: A Study****<sup>1</sup>Dr. Ali Raza\\*, "
        "<sup>2</sup>Sana Malik**\n\n"
        "1. Lecturer, Department of Health, University of Punjab, Lahore, Pakistan\n\n"
        "**Corresponding Author** [ali@example.edu](mailto:ali@example.edu)**ABSTRACT**\n\n"
        f"{body}\n\n**Keywords:** brain drain, training**Introduction**\n\n"
        f"{body} The shortage grows every year and the\n\n"
        f"remaining staff carry the load (Raza, 2021).\n\n"
        "## References\n\n- Raza, A. (2021). Leaving. *J Health*, 1(2). https://doi.org/10.1/x\n",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert doc.kind == "paper"
    assert doc.title == "Why Doctors Leave: A Study"
    for gone in ("Raza", "Department of Health", "@", "Corresponding", "Keywords", "doi", "ORIGINAL"):
        assert gone not in doc.text
    assert "the shortage grows every year and the remaining staff carry the load." in doc.text.lower()
    assert [doc.text[b.start:b.end] for b in doc.blocks if b.kind == "heading"] == [
        "Why Doctors Leave: A Study", "ABSTRACT", "Introduction"]


def test_news_boilerplate_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "news.txt"
    path.write_text(
        "Thousands of doctors left Pakistan last year, a survey found.\n"
        "Published: undefined\n"
        "Also Read: Nurses protest in Karachi\n"
        "Women doctors are often not part of the workforce.\n"
        "With IANS inputs\nFollow us on: Facebook, Twitter\nShare this article\n",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert doc.kind == "news"
    assert doc.text == ("Thousands of doctors left Pakistan last year, a survey found.\n\n"
                        "Women doctors are often not part of the workforce.")


def test_kind_rules() -> None:
    prose = [Unit("A long paragraph about pay and training and hospitals.")]
    assert infer_kind(prose) == "other"
    assert infer_kind(prose, "news") == "news"
    assert infer_kind([Unit("Abstract", True), *prose, Unit("References", True),
                       Unit("Khan, A. (2020). doi:10.1000/xyz")]) == "paper"
    assert infer_kind([Unit("By Staff Reporter"), *prose]) == "news"
