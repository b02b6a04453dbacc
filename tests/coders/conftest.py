"""Fixtures for the coder round trip: a small run with CRLF, Urdu and emoji text."""

from __future__ import annotations

from pathlib import Path

import pytest

SCHEMAS_README = "schemas/refi-qda/README.md"

# Fictional, written for these tests. Line endings are CRLF on purpose.
URDU_EMOJI = (
    "Interviewer: Why did you leave Lahore?\r\n\r\n"
    "P1: The salary was not enough to pay the rent, so I left in the end. "
    "میں نے پاکستان چھوڑ دیا کیونکہ تنخواہ بہت کم تھی۔ "
    "I miss my mother every single day 😢 and I still feel guilty about the patients I left behind. "
    "Here the rota is fixed and I sleep after my night shifts 🌙 for the first time in years.\r\n\r\n"
    "Interviewer: And the exams?\r\n\r\n"
    "P1: The licensing exams cost me all my savings 💸 and two years of my life. "
    "Every document needed a new stamp, a new fee, a new queue at the embassy. "
    "In Pakistan the hospital had no gloves and no working ventilator for the whole ward. "
    "Promotions went to whoever knew the principal, never to the one who worked hardest.\r\n"
)
PLAIN = (
    "Interviewer: What do you think about going back?\n\n"
    "P2: I will go back when there is a proper training programme and the salary lets me live. "
    "My family says the country needs its doctors and I know they are right. "
    "Here nobody shouts at a junior doctor in front of the patients. "
    "The consultants ask for my opinion and they remember my name. "
    "My children are growing up far from their grandparents and that is the price.\n"
)


@pytest.fixture(scope="session")
def special_run(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Path:
    """A run over two short transcripts (one CRLF with Urdu and emoji) with every segment assigned."""
    import narratives

    corpus = tmp_path_factory.mktemp("special-corpus")
    (corpus / "p1-urdu-emoji.txt").write_bytes(URDU_EMOJI.encode("utf-8"))
    (corpus / "p2-plain.txt").write_text(PLAIN, encoding="utf-8")
    out = tmp_path_factory.mktemp("special") / "run"
    config = narratives.load_config(None, [f"cache={cache_dir}", "align.threshold=0"])
    repo = Path(__file__).resolve().parents[2]
    narratives.run([corpus], repo / "configs/codebooks/physician-migration.yaml", config=config, out=out)
    return out
