"""Loading and validating codebook files (YAML and CSV)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from narratives.codebook import codebook_to_yaml, load_codebook, slugify
from narratives.errors import CodebookError

PHYSICIAN_IDS = {
    "economic-disenfranchisement": ["salary-inadequacy", "financial-insecurity"],
    "institutional-neglect": ["resource-scarcity", "absent-meritocracy"],
    "professional-promise-abroad": ["structured-training", "technology-access"],
    "dignity-and-recognition": ["regulated-hours", "professional-respect"],
    "price-of-migration": ["credentialing-barriers", "cultural-dislocation"],
    "moral-residue": ["homeland-conscience", "conditional-return"],
}


def write(tmp_path: Path, text: str, name: str = "codebook.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- shipped codebooks


def test_physician_codebook_has_the_study_themes_and_subthemes(repo_dir: Path) -> None:
    path = repo_dir / "configs" / "codebooks" / "physician-migration.yaml"
    cb = load_codebook(path)
    assert cb.name == "physician-migration"
    assert [t.id for t in cb.themes] == list(PHYSICIAN_IDS)
    for theme, subs in PHYSICIAN_IDS.items():
        assert [s.id for s in cb.subthemes(theme)] == subs
    subthemes = [e for e in cb.entries if e.parent is not None]
    assert len(subthemes) == 12
    for sub in subthemes:
        assert len(sub.definition) > 80, sub.id
        assert sub.keywords and sub.include and sub.exclude, sub.id
        assert 2 <= len(sub.examples) <= 3, sub.id
    assert cb.source == str(path)
    assert cb.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_literature_codebook_loads(repo_dir: Path) -> None:
    cb = load_codebook(repo_dir / "configs" / "codebooks" / "migration-literature.yaml")
    ids = {e.id for e in cb.entries}
    assert {"push-factors", "pull-factors", "systemic-externalities", "recruitment-ethics", "remedies",
            "brain-circulation", "education-quality"} <= {t.id for t in cb.themes}
    assert {"lost-mentorship", "active-recruitment", "fees-charged-to-workers", "bilateral-agreements",
            "circular-migration", "remittances", "compensation", "restitution"} <= ids
    assert all(cb.subthemes(t.id) for t in cb.themes)
    assert all(e.examples for e in cb.entries if e.parent)


# ---------------------------------------------------------------- YAML details


def test_id_is_derived_from_label_and_label_from_id(tmp_path: Path) -> None:
    path = write(tmp_path, """
themes:
  - label: Salary Inadequacy (1a)
    definition: Pay out of proportion to training.
    subthemes:
      - id: school-fees
        definition: Cannot pay school fees.
""")
    cb = load_codebook(path)
    assert cb.name == "codebook"
    assert [e.id for e in cb.entries] == ["salary-inadequacy-1a", "school-fees"]
    assert cb.get("school-fees").label == "school-fees"
    assert cb.get("school-fees").parent == "salary-inadequacy-1a"


def test_flat_yaml_subtheme_with_parent_by_label(tmp_path: Path) -> None:
    path = write(tmp_path, """
themes:
  - id: pay
    label: Pay
    definition: Money.
  - id: fees
    parent: Pay
    definition: School fees.
""")
    assert load_codebook(path).get("fees").parent == "pay"


def test_theme_without_subthemes_is_fine(tmp_path: Path) -> None:
    path = write(tmp_path, "themes:\n  - {id: a, label: A, definition: Something.}\n")
    cb = load_codebook(path)
    assert cb.subthemes("a") == ()


# ---------------------------------------------------------------- validation errors

NESTED = """
themes:
  - id: pay
    label: Pay
    definition: Money matters.
    subthemes:
{sub}
"""

ERROR_CASES = {
    "missing definition": (
        "themes:\n  - id: pay\n    label: Pay\n", "pay", "definition", "add 'definition:"),
    "empty definition": (
        "themes:\n  - id: pay\n    definition: '  '\n", "pay", "definition", "missing definition"),
    "duplicate id": (
        NESTED.format(sub="      - id: pay\n        definition: Again.\n"), "pay", "id", "rename one"),
    "duplicate derived id": (
        "themes:\n  - {label: Pay, definition: x}\n  - {label: pay!, definition: y}\n", "pay", "id",
        "duplicate id"),
    "parent does not exist": (
        "themes:\n  - {id: pay, definition: x}\n  - {id: fees, parent: salary, definition: y}\n",
        "fees", "parent", "does not exist"),
    "nesting too deep (nested)": (
        NESTED.format(sub="      - id: low\n        definition: x\n        subthemes:\n"
                          "          - {id: lower, definition: y}\n"),
        "low", "subthemes", "deeper than two levels"),
    "nesting too deep (flat parent)": (
        "themes:\n  - {id: a, definition: x}\n  - {id: b, parent: a, definition: y}\n"
        "  - {id: c, parent: b, definition: z}\n", "c", "parent", "deeper than two levels"),
    "keywords not a list": (
        "themes:\n  - id: pay\n    definition: x\n    keywords: salary, pay\n", "pay", "keywords",
        "must be a list"),
    "examples not a list": (
        NESTED.format(sub="      - id: low\n        definition: x\n        examples: one quote\n"),
        "low", "examples", "must be a list"),
    "definition not text": (
        "themes:\n  - id: pay\n    definition: [a, b]\n", "pay", "definition", "must be text"),
    "unknown key typo": (
        "themes:\n  - id: pay\n    defintion: Money.\n", "pay", "defintion", "did you mean 'definition'"),
    "unknown key in subtheme": (
        NESTED.format(sub="      - id: low\n        definition: x\n        keyword: [a]\n"),
        "low", "keyword", "did you mean 'keywords'"),
    "reserved id": (
        "themes:\n  - id: unassigned\n    definition: Leftovers.\n", "unassigned", "id", "reserved"),
    "reserved id from label": (
        "themes:\n  - label: Unassigned\n    definition: Leftovers.\n", "unassigned", "id", "reserved"),
    "id not a slug": (
        "themes:\n  - id: Salary Inadequacy\n    definition: x\n", "Salary Inadequacy", "id",
        "e.g. 'salary-inadequacy'"),
    "no id and no label": (
        "themes:\n  - definition: x\n", "theme #1", "label", "add 'label:"),
    "empty themes": ("name: x\nthemes: []\n", None, "themes", "empty"),
    "themes not a list": ("themes:\n  pay: x\n", None, "themes", "must be a list"),
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_validation_error_names_file_entry_and_field(tmp_path: Path, case: str) -> None:
    text, entry, field, hint = ERROR_CASES[case]
    path = write(tmp_path, text)
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    err = info.value
    assert err.path == str(path)
    assert err.entry == entry
    assert err.field == field
    message = str(err)
    assert str(path) in message and hint in message
    if entry:
        assert f"entry '{entry}'" in message
    assert isinstance(err, ValueError)


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(CodebookError, match="empty"):
        load_codebook(write(tmp_path, ""))


def test_invalid_yaml_reports_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "themes:\n  - id: pay\n    definition: [unclosed\n    label: Pay\n")
    with pytest.raises(CodebookError, match=r"not valid YAML at line \d+") as info:
        load_codebook(path)
    assert info.value.path == str(path)


def test_top_level_typo_is_reported(tmp_path: Path) -> None:
    with pytest.raises(CodebookError, match="did you mean 'themes'") as info:
        load_codebook(write(tmp_path, "theme:\n  - {id: a, definition: x}\n"))
    assert info.value.field == "theme"


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(CodebookError, match="not found"):
        load_codebook(tmp_path / "nope.yaml")
    with pytest.raises(CodebookError, match="unknown codebook format"):
        load_codebook(write(tmp_path, "x", name="codebook.txt"))


# ---------------------------------------------------------------- CSV

CSV_TEXT = """code,label,definition,parent,keywords,examples,coder notes
Pay,Pay and money,Money matters at home.,,salary; pay ; stipend,"We earned little.|Fees; rent; food."
Low pay,,Salary below training.,pay,school fees,One quote
Abroad,,Life abroad.,,,,ignored
Exams,,Licensing exams.,Abroad,PLAB;USMLE,
"""


def test_csv_codebook_loads(tmp_path: Path) -> None:
    cb = load_codebook(write(tmp_path, CSV_TEXT, name="mini.csv"))
    assert cb.name == "mini"
    assert [e.id for e in cb.entries] == ["pay", "low-pay", "abroad", "exams"]
    pay = cb.get("pay")
    assert pay.label == "Pay and money"
    assert pay.keywords == ("salary", "pay", "stipend")
    assert pay.examples == ("We earned little.", "Fees; rent; food.")
    assert cb.get("low-pay").label == "Low pay"
    assert cb.get("low-pay").parent == "pay"
    assert cb.get("exams").parent == "abroad"  # parent given by name, not id
    assert [t.id for t in cb.themes] == ["pay", "abroad"]


@pytest.mark.parametrize(
    ("text", "entry", "field", "hint"),
    [
        ("tag,description\nPay,\n", "pay", "description", "missing definition"),
        ("tag,description\nPay,x\npay,y\n", "pay", "id", "duplicate id"),
        ("tag,description,parent\nSalary,x,\nLow,y,Salry\n", "low", "parent", "does not exist"),
        ("tag,description,parent\nA,x,\nB,y,A\nC,z,B\n", "c", "parent", "deeper than two levels"),
        ("tag,description\nUnassigned,x\n", "unassigned", "id", "reserved"),
        ("label,note\nPay,x\n", None, "name", "'name', 'tag' or 'code'"),
        ("name,notes\nPay,x\n", None, "definition", "'definition' or"),
    ],
)
def test_csv_validation_errors(tmp_path: Path, text: str, entry: str | None, field: str, hint: str) -> None:
    path = write(tmp_path, text, name="bad.csv")
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    assert (info.value.path, info.value.entry, info.value.field) == (str(path), entry, field)
    assert hint in str(info.value)


def test_csv_parent_defined_nowhere_is_a_group_of_codes(tmp_path: Path) -> None:
    """QDA tools export folders of codes ("Question 1 themes") as a parent with no row of its own."""
    cb = load_codebook(write(tmp_path, "code,definition,parent\nHope,being hopeful,Question 1 themes\n"
                             "Loss,job loss,Question 3 themes\nFear,being afraid,Question 3 themes\n", name="q.csv"))
    assert [t.id for t in cb.themes] == ["question-1-themes", "question-3-themes"]
    assert all(t.group and not t.definition for t in cb.themes)
    assert [s.id for s in cb.subthemes("question-3-themes")] == ["loss", "fear"]
    assert any("Question 3 themes" in note and "group" in note for note in cb.notes)
    again = write(tmp_path, codebook_to_yaml(cb), name="q.yaml")
    assert {e.id: e for e in load_codebook(again).entries} == {e.id: e for e in cb.entries}


def test_a_code_may_say_which_question_it_answers(tmp_path: Path) -> None:
    """A survey's codes belong to its questions: a subtheme takes its theme's question, and a unit answering
    a question the codebook names is coded only with that question's codes and the codes of no question."""
    from narratives.align.decisions import question_scope

    cb = load_codebook(write(tmp_path, """
themes:
  - label: Hopes
    question: Q1
    definition: what the participant hopes for
    subthemes:
      - {label: Travel, definition: going abroad again}
      - {label: Family time, definition: more time at home, question: "Q2"}
  - {label: Fears, definition: what frightens them, question: " q3 "}
  - {label: Tone, definition: how they speak}
"""))
    assert {e.id: e.question for e in cb.entries} == {
        "hopes": "Q1", "travel": "Q1", "family-time": "Q2", "fears": "q3", "tone": ""}
    q1, q3, other = question_scope([], cb, ["q1", "Q3", "Q9"])
    assert q1 == frozenset({"family-time", "fears"})
    assert q3 == frozenset({"hopes", "travel", "family-time"})
    assert other == frozenset()  # a question the codebook does not name restricts nothing
    again = write(tmp_path, codebook_to_yaml(cb), name="again.yaml")
    assert load_codebook(again).entries == cb.entries
    csv = load_codebook(write(tmp_path, "code,definition,question\nHope,being hopeful,Q1\n", name="q.csv"))
    assert csv.entries[0].question == "Q1"


def test_csv_header_only_is_empty(tmp_path: Path) -> None:
    with pytest.raises(CodebookError, match="empty"):
        load_codebook(write(tmp_path, "tag,description\n\n", name="empty.csv"))


def test_real_usability_codebook_loads(shared_dir: Path) -> None:
    path = shared_dir / "benchmarks" / "usability-think-aloud" / "codebook.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    cb = load_codebook(path)
    assert len(cb.entries) == 22 and len(cb.themes) == 22
    first = cb.entries[0]
    assert (first.id, first.label) == ("moderator-assist", "Moderator assist")
    assert first.definition.startswith("The moderator intervenes")
    assert all(e.id == slugify(e.label) for e in cb.entries)


def test_the_old_import_paths_still_work() -> None:
    """The README's ``from narratives.align import load_codebook`` (and the package top's) keep working."""
    import narratives
    from narratives import align

    assert align.load_codebook is load_codebook and align.slugify is slugify
    assert narratives.load_codebook is load_codebook
