"""The guard itself: it must see what a process does beyond loopback, and only that.

The calls below send nothing: connecting a UDP socket only sets where its datagrams would go,
and binding without listening opens nothing. They are the same system calls a resolver or a
telemetry uploader makes first, so the guard must name each of them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from tests.privacy.network_guard import crossings, run_guarded, strace_works

PROBE = """
import socket
def udp(host, port, family=socket.AF_INET):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.connect((host, port))
    s.close()
udp("127.0.0.1", 9)                 # loopback: allowed
udp("::1", 9, socket.AF_INET6)      # loopback: allowed
udp("192.0.2.1", 443)               # TEST-NET-1: beyond the machine
udp("127.0.0.53", 53)               # a DNS query, even to a resolver on loopback
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("0.0.0.0", 0))              # a door open to the network
s.close()
u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
u.close()
"""


def test_guard_names_every_call_beyond_loopback(tmp_path: Path) -> None:
    reason = strace_works()
    if reason is not None:
        pytest.skip(reason)
    log = tmp_path / "probe.strace"
    done = run_guarded([sys.executable, "-c", PROBE], log, env=dict(os.environ), cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    found = {(c.call, c.address, c.port) for c in crossings(log)}
    assert found == {("connect", "192.0.2.1", 443), ("connect", "127.0.0.53", 53), ("bind", "0.0.0.0", 0)}
    assert all(sys.executable in c.program or "python" in c.program for c in crossings(log))


def test_guard_reads_onnxruntime_telemetry_as_strace_printed_it(tmp_path: Path) -> None:
    """Lines as strace printed them for onnxruntime 1.32's telemetry uploader (before it was switched off)."""
    log = tmp_path / "seen.strace"
    log.write_text(
        '2168  connect(8, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT\n'
        '2169  connect(8, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = 0\n'
        '2169  sendto(8, "x\\205\\1\\0\\0\\1\\0\\0\\0\\0\\0\\0\\6mobile\\6events\\4data\\t"..., 50, '
        'MSG_NOSIGNAL, NULL, 0) = 50\n'
        '2422  connect(23, {sa_family=AF_INET6, sin6_port=htons(6379), sin6_flowinfo=htonl(0), '
        'inet_pton(AF_INET6, "::ffff:192.0.2.2", &sin6_addr), sin6_scope_id=0}, 28) = 0\n'
        '2422  connect(24, {sa_family=AF_INET6, sin6_port=htons(6379), sin6_flowinfo=htonl(0), '
        'inet_pton(AF_INET6, "::ffff:127.0.0.1", &sin6_addr), sin6_scope_id=0}, 28) = 0\n',
        encoding="utf-8",
    )
    assert [(c.pid, c.call, c.address, c.port) for c in crossings(log)] == [
        (2169, "connect", "10.255.255.53", 53), (2422, "connect", "::ffff:192.0.2.2", 6379)]
