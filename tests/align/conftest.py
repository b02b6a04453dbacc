"""Fixtures for the align tests: the real embedding model (session-scoped) and a fake one."""

from __future__ import annotations

from pathlib import Path

import pytest
from align_helpers import BagOfWordsEmbedder

from narratives.align import load_codebook
from narratives.embed import SentenceTransformerEmbedder
from narratives.models import Codebook


@pytest.fixture(scope="session")
def minilm(embedder: SentenceTransformerEmbedder) -> SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 from its offline package, on CPU (the session's shared embedder)."""
    return embedder


@pytest.fixture(scope="session")
def bow() -> BagOfWordsEmbedder:
    return BagOfWordsEmbedder()


@pytest.fixture(scope="session")
def physician_codebook(repo_dir: Path) -> Codebook:
    return load_codebook(repo_dir / "configs" / "codebooks" / "physician-migration.yaml")
