"""Shared fixtures. ``../shared`` is optional: tests that need it skip with a reason.

Every test runs under a network guard (:func:`_no_traffic_beyond_loopback`): Python code that
connects, sends or looks a name up anywhere but this machine fails the test. Native code is
watched by ``tests/privacy``, which runs the whole pipeline under ``strace``.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


_LOCAL_NAMES = {"localhost", "ip6-localhost", "ip6-loopback", "", socket.gethostname().lower()}
_attempts: list[str] = []


def _beyond_loopback(host: Any) -> bool:
    if host is None:
        return False
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").lower()
    if host in _LOCAL_NAMES:
        return False
    try:
        ip = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return True  # a name to look up: the query itself leaves the machine
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (ip.is_loopback or ip.is_unspecified)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """Python's audit hook: refuse a connection, datagram or name lookup beyond loopback."""
    if event in ("socket.connect", "socket.sendto"):
        address = args[1]
        host = address[0] if isinstance(address, tuple) and address else None  # unix sockets: a path
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
        host = args[0]
    else:
        return
    if _beyond_loopback(host):
        _attempts.append(f"{event} {args[1] if event.startswith('socket.c') or event == 'socket.sendto' else host}")
        raise ConnectionRefusedError(f"the test suite's network guard refused {event} to {host!r}: "
                                     "nothing may leave the machine")


sys.addaudithook(_audit)


@pytest.fixture(autouse=True)
def _no_traffic_beyond_loopback() -> Any:
    """Fail the test if anything it ran tried to reach beyond loopback, even if the error was caught."""
    start = len(_attempts)
    yield
    tried = _attempts[start:]
    assert not tried, f"traffic beyond the machine was attempted: {tried[:5]}"


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


@pytest.fixture(scope="session", autouse=True)
def cache_dir(tmp_path_factory: pytest.TempPathFactory):
    """One embedding cache for the whole test session, also the default for any run that
    names none, so no test writes to the user's ``~/.cache/narratives``."""
    path = tmp_path_factory.mktemp("embedding-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NARRATIVES_CACHE_DIR", str(path))
        yield path


@pytest.fixture(scope="session")
def interview_text() -> str:
    """A short fictional interview: two interviewer questions, two coded answers by P2."""
    return (
        "Interviewer: Tell me about the pay.\n\n"
        "P2: The salary was an insult after years of training, it could not cover rent and fees.\n\n"
        "Interviewer: And the hospital?\n\n"
        "P2: There were no drugs in the emergency cupboard, we improvised with what we had.\n"
    )


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path):
    """The demo corpus analysed once per session with the shipped codebook, like `make demo`."""
    import narratives

    out = tmp_path_factory.mktemp("demo") / "out"
    config = narratives.load_config(
        REPO / "configs" / "demo.yaml", [f"cache={cache_dir}"]
    )
    result = narratives.run(
        [REPO / "corpora" / "demo"],
        REPO / "configs" / "codebooks" / "physician-migration.yaml",
        manifest=REPO / "corpora" / "demo" / "manifest.csv",
        config=config,
        out=out,
    )
    return result, out


@pytest.fixture(scope="session")
def embedder():
    """The default model through narratives' own embedder (hash-verified, offline), loaded once."""
    from narratives.embed import SentenceTransformerEmbedder, resolve_model

    return SentenceTransformerEmbedder(resolve_model("all-MiniLM-L6-v2"))
