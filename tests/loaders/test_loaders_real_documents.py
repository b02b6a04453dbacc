"""The four real documents in ../shared/corpora/real and the think-aloud ODT transcripts.

The texts are read at test time only; nothing from them is stored in the repository
except a few short phrases used as probes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from narratives.loaders import load_corpus, load_document

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
AUTHOR_YEAR = re.compile(r"\([A-Z][^()]{0,80}?,?\s\d{3,4}[a-z]?(?:\s*C\.E\.)?\)")


@pytest.fixture(scope="module")
def real_docs(real_corpus: Path):
    corpus = load_corpus([real_corpus])
    assert corpus.skipped == ()
    return {Path(d.source).name: d for d in corpus.documents}


def test_all_four_load_with_sensible_kinds(real_docs) -> None:
    kinds = {name: doc.kind for name, doc in real_docs.items()}
    assert kinds == {
        "pakistan-doctors-exodus-editorial.txt": "news",
        "hec-talent-drain-paper.md": "paper",
        "health-worker-migration-principles.md": "paper",
        "migration-equation-blog.txt": "other",
    }


def test_no_furniture_remains(real_docs, blocks_valid) -> None:
    for name, doc in real_docs.items():
        blocks_valid(doc)
        assert not EMAIL.search(doc.text), name
        assert not AUTHOR_YEAR.search(doc.text), (name, AUTHOR_YEAR.search(doc.text))
        assert "[@" not in doc.text and "](@" not in doc.text, name
        assert not re.search(r"(?im)^\s*(references|bibliography)\s*$", doc.text), name
        assert "Follow us on" not in doc.text and "Published: undefined" not in doc.text, name
        assert "IANS inputs" not in doc.text and "telegram" not in doc.text, name
        assert "**" not in doc.text and "<sup>" not in doc.text, name


def test_paper_keeps_the_argument(real_docs) -> None:
    paper = real_docs["hec-talent-drain-paper.md"]
    assert "explore the complex interplay between education quality and talent migration" in paper.text
    assert "Corresponding Author" not in paper.text and "Lecturer, Department" not in paper.text
    assert "Narowal" not in paper.text and "https://doi.org" not in paper.text
    # sentences cut by page breaks are whole again
    assert "productivity and employment quality; thus" in paper.text
    assert "the country is losing top experts" in paper.text
    assert paper.title.startswith("Unveiling the Interplay of Educational Excellence")
    headings = [paper.text[b.start:b.end] for b in paper.blocks if b.kind == "heading"]
    assert "Introduction" in headings and "Literature Review" in headings


def test_chapter_keeps_linked_words(real_docs) -> None:
    chapter = real_docs["health-worker-migration-principles.md"]
    assert "may lose its cohesion and institutional memory" in chapter.text
    assert "sustained, net loss of domestically trained health workers" in chapter.text
    assert chapter.text.startswith("Introduction")


def test_editorial_and_blog(real_docs) -> None:
    editorial = real_docs["pakistan-doctors-exodus-editorial.txt"]
    assert "35 per cent of women medical doctors" in editorial.text
    assert all(b.kind == "paragraph" for b in editorial.blocks)
    blog = real_docs["migration-equation-blog.txt"]
    assert blog.title == "The Migration Equation: Rethinking the Global Healthcare Workforce"
    assert "TheLearnery" not in blog.text
    assert {"Brain Circulation", "Working Together"} <= {
        blog.text[b.start:b.end] for b in blog.blocks if b.kind == "heading"}


def test_think_aloud_odt_transcripts(shared_dir: Path, blocks_valid) -> None:
    folder = shared_dir / "benchmarks" / "usability-think-aloud" / "transcripts"
    files = sorted(folder.glob("*.odt"))
    if not files:
        pytest.skip(f"{folder} holds no .odt transcripts")
    for path in files:
        doc = load_document(path)
        blocks_valid(doc)
        assert doc.kind == "transcript", path.name
        roles = {b.role for b in doc.blocks if b.kind == "turn"}
        assert roles == {"interviewer", "participant"}, path.name
        tasks = [b for b in doc.blocks if b.speaker == "Moderator"]
        assert len(tasks) >= 30, path.name
        assert all(b.role == "interviewer" for b in tasks)
        # the task number ("1.a") is the label, not part of what was said
        assert not any(re.match(r"\d+(\.[a-z]+)?\s", doc.text[b.start:b.end]) for b in tasks)
        assert all(not doc.text[b.start:b.end].startswith("(") for b in doc.blocks)
