"""Fixtures for the embedding stage: the packaged model, loaded embedders, a fake embedder."""

from __future__ import annotations

import hashlib
import shutil
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from narratives.embed import OnnxEmbedder, ResolvedModel, SentenceTransformerEmbedder, resolve_model
from narratives.types import Vectors

MODEL_NAME = "all-MiniLM-L6-v2"
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


class NetworkAttempt(AssertionError):
    """Raised by the patched ``socket.connect``: something tried to reach the network."""


def _refuse_connect(self: socket.socket, *args: object, **kwargs: object) -> None:
    raise NetworkAttempt(f"network connection attempted: {args}")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any socket connection fail loudly for the duration of the test."""
    monkeypatch.setattr(socket.socket, "connect", _refuse_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse_connect)


@pytest.fixture(scope="session")
def packaged_model() -> ResolvedModel:
    """The default model, resolved from its installed package and hash-verified."""
    return resolve_model(MODEL_NAME)


@pytest.fixture(scope="session")
def model_copy(tmp_path_factory: pytest.TempPathFactory, packaged_model: ResolvedModel) -> Path:
    """A writable copy of the packaged model folder (shared; tests must not modify it)."""
    target = tmp_path_factory.mktemp("model-copy") / "minilm"
    shutil.copytree(packaged_model.path, target)
    return target


@pytest.fixture(scope="session")
def st_embedder(packaged_model: ResolvedModel) -> Iterator[SentenceTransformerEmbedder]:
    """The real model, loaded once per session with the network blocked during the load."""
    embedder = SentenceTransformerEmbedder(packaged_model)  # default batch size: same identity as runs
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", _refuse_connect)
        patch.setattr(socket.socket, "connect_ex", _refuse_connect)
        embedder.embed(["warm-up"])
    yield embedder


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder shared by the ONNX tests, so the model is exported once per session."""
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="session")
def onnx_embedder(packaged_model: ResolvedModel, onnx_cache: Path) -> Iterator[OnnxEmbedder]:
    """The fp32 ONNX embedder, exported and loaded once per session with the network blocked."""
    embedder = OnnxEmbedder(packaged_model, onnx_cache)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", _refuse_connect)
        patch.setattr(socket.socket, "connect_ex", _refuse_connect)
        embedder.embed(["warm-up"])
    yield embedder


class FakeEmbedder:
    """A deterministic stand-in for a model: a unit vector derived from each text's hash."""

    def __init__(self, identity: str = "fake@0000", dimension: int = 16) -> None:
        self._identity = identity
        self._dimension = dimension
        self.calls: list[list[str]] = []

    @property
    def identity(self) -> str:
        return self._identity

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> Vectors:
        self.calls.append(list(texts))
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            row = np.random.default_rng(seed).standard_normal(self._dimension).astype(np.float32)
            rows.append(row / np.linalg.norm(row))
        return np.array(rows, dtype=np.float32).reshape(len(rows), self._dimension)

    @property
    def embedded(self) -> int:
        return sum(len(call) for call in self.calls)


@pytest.fixture
def fake_embedder() -> type[FakeEmbedder]:
    """The :class:`FakeEmbedder` class, to build fakes with a chosen identity."""
    return FakeEmbedder
