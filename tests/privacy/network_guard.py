"""Watch a command's every process for traffic beyond the machine, at the system-call level.

A patch of Python's ``socket`` sees only Python: onnxruntime's telemetry, Ray's C++ servers and
the C resolver open their sockets from native code. So the command runs under ``strace -f``
(every thread and child process, Ray's workers included), and every ``connect``, ``bind``,
``sendto``, ``sendmsg`` and ``sendmmsg`` with an internet address is checked: only loopback may be reached or
listened on, and no DNS query may leave (a query names the host it looks up, to whoever
answers, so port 53 counts even on a loopback resolver). Unix sockets and netlink stay on the
machine and are not counted.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

CALLS = "connect,bind,sendto,sendmsg,sendmmsg,execve"

_ADDRESS = re.compile(
    r"sa_family=AF_INET6?, sin6?_port=htons\((?P<port>\d+)\),"
    r".*?(?:inet_addr\(\"(?P<v4>[^\"]+)\"\)|inet_pton\(AF_INET6, \"(?P<v6>[^\"]+)\")"
)
_CALL = re.compile(r"^(?P<pid>\d+)\s+(?P<call>connect|bind|sendto|sendmsg|sendmmsg)\(")
_EXEC = re.compile(r"^(?P<pid>\d+)\s+execve\(\"(?P<program>[^\"]+)\", \[(?P<args>[^\]]*)")


@dataclass(frozen=True)
class Crossing:
    """One system call that reached, or opened a door to, something beyond loopback."""

    pid: int
    program: str
    call: str
    address: str
    port: int

    def __str__(self) -> str:
        return f"{self.call} {self.address}:{self.port} by pid {self.pid} ({self.program})"


def strace_works() -> str | None:
    """``None`` when ``strace -f`` can trace here, else why not."""
    strace = shutil.which("strace")
    if strace is None:
        return "strace is not installed (make test installs Debian's strace when it runs as root)"
    probe = subprocess.run([strace, "-f", "-qq", "-e", "trace=connect", "-o", os.devnull, "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"strace cannot trace here: {probe.stderr.strip()[:200]}"
    return None


def _beyond_loopback(address: str, port: int, call: str) -> bool:
    if port == 53 and call != "bind":
        return True  # a DNS query names what it looks up to the resolver, wherever that is
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_loopback


def crossings(log: Path) -> list[Crossing]:
    """Every call in an ``strace -f -e trace=`` :data:`CALLS` log that went beyond loopback."""
    programs: dict[int, str] = {}
    found: list[Crossing] = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        executed = _EXEC.match(line)
        if executed:
            args = executed["args"].replace('"', "").split(", ")
            programs[int(executed["pid"])] = " ".join(args[:4])[:160]
            continue
        call = _CALL.match(line)
        address = _ADDRESS.search(line) if call else None
        if call is None or address is None:
            continue
        host, port = address["v4"] or address["v6"], int(address["port"])
        if _beyond_loopback(host, port, call["call"]):
            pid = int(call["pid"])
            found.append(Crossing(pid, programs.get(pid, "a thread or fork of the run"), call["call"], host, port))
    return found


def run_guarded(command: Sequence[str], log: Path, *, env: Mapping[str, str], cwd: Path,
                timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    """``command`` under ``strace -f``, its calls written to ``log`` (read them with :func:`crossings`)."""
    strace = shutil.which("strace")
    assert strace is not None
    return subprocess.run(
        [strace, "-f", "-qq", "-s", "64", "-e", f"trace={CALLS}", "-e", "signal=none", "-o", str(log), *command],
        env=dict(env), cwd=cwd, capture_output=True, text=True, timeout=timeout,
    )
