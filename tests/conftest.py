"""Shared fixtures. ``../shared`` is optional: tests that need it skip with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    """The repository root (demo corpus, codebooks, configs)."""
    return REPO


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared``; skips the test when it is absent (an outside clone has none)."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent: it holds third-party documents only CI and developers have")
    return SHARED


@pytest.fixture(scope="session")
def real_corpus(shared_dir: Path) -> Path:
    """The four real documents in ``../shared/corpora/real``."""
    path = shared_dir / "corpora" / "real"
    if not path.is_dir():
        pytest.skip(f"{path} is absent")
    return path
