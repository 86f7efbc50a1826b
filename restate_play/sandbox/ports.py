"""Loopback ports: pick free ones, check busy ones, and tell which process owns a listener."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HOST = "127.0.0.1"
_LOOPBACK_PORT = re.compile(r"\b(localhost|127\.0\.0\.1):(\d+)\b")


def retarget(line: str, mapping: dict[int, int]) -> str:
    """The line (a curl command…) with each loopback port found in `mapping` replaced by its value.

    All at once, so 8080→9070 and 9070→29070 never chain: `serve` prints the documents' lines with
    its own ports, and the tutorial maps a run's ports back to the documents'.
    """
    return _LOOPBACK_PORT.sub(lambda m: f"{m.group(1)}:{mapping.get(int(m.group(2)), m.group(2))}", line)


# A port handed out is not bound until the process it is for starts listening (seconds later): until
# then the kernel may hand it to another caller's bind(0) — a parallel test worker, or a `run` they
# started. Every restate-play process on this machine notes what it handed out in one shared file, and
# none hands out a port noted there in the last RESERVE_SECONDS.
RESERVE_SECONDS = 120.0


def free_port() -> int:
    (port,) = free_ports(1)
    return port


def free_ports(n: int) -> list[int]:
    """n distinct free ports, none handed out to another restate-play process in the last RESERVE_SECONDS."""
    with _reservations() as taken:
        ports: list[int] = []
        socks = []
        try:
            # Held open together so they cannot coincide; a port reserved by someone else is kept
            # bound too (so bind(0) moves on) and skipped.
            for _ in range(n + 200):
                if len(ports) == n:
                    break
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.bind((HOST, 0))
                socks.append(s)
                port = s.getsockname()[1]
                if port not in taken:
                    ports.append(port)
        finally:
            for s in socks:
                s.close()
        if len(ports) < n:
            raise OSError(f"could not find {n} free loopback ports")
        now = time.time()
        taken.update(dict.fromkeys(ports, now))
        return ports


def free_ports_like(documented: tuple[int, ...]) -> tuple[int, ...]:
    """As many free ports as a pattern documents (its client app's): runs that nobody pastes curl
    lines into (run, chaos) never collide with a `serve`, a test, or each other on the documents' port."""
    return tuple(free_ports(len(documented))) if documented else ()


def _reservations_file() -> Path:
    return Path(tempfile.gettempdir()) / f"restate-play-{os.getuid()}" / "ports-handed-out"


@contextlib.contextmanager
def _reservations() -> Iterator[dict[int, float]]:
    """The recent hand-outs (port -> time), under an exclusive lock; what the caller adds is saved."""
    path = _reservations_file()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        f = open(path, "a+")  # noqa: SIM115 - closed below, after the caller's additions are saved
    except OSError:  # no writable temp dir: bind(0) alone, as before
        yield {}
        return
    with f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        cutoff = time.time() - RESERVE_SECONDS
        taken: dict[int, float] = {}
        for line in f.read().split():
            port, _, at = line.partition("@")
            with contextlib.suppress(ValueError):
                if float(at) > cutoff:
                    taken[int(port)] = float(at)
        yield taken
        f.seek(0)
        f.truncate()
        f.write("".join(f"{port}@{at:.1f}\n" for port, at in taken.items() if at > cutoff))
        f.flush()


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return True
    return False


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A = LISTEN
                inodes.add(inode)
    return inodes


def pid_listens_on(pid: int, port: int) -> bool:
    """True when process `pid` owns the listening socket on `port`.

    Health answers alone can come from a stranger already holding the port; this ties the
    listener to the process we started. Where /proc is missing, it trusts the caller.
    """
    if not Path("/proc/net/tcp").exists():
        return True
    inodes = _listening_inodes(port)
    if not inodes:
        return False
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            return True
    return False


def group_listens_on(pgid: int, port: int) -> bool:
    """True when a process of group `pgid` owns the listening socket on `port`.

    A user's command (`npx tsx app.ts`) listens from a grandchild of the shell we started; the
    group is ours (every child leads its own), so a listener in it is the service we started.
    """
    if not Path("/proc/net/tcp").exists():
        return True
    return any(pid_listens_on(pid, port) for pid in _group_members(pgid))


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name, which is in parentheses and may hold spaces: state ppid pgrp …
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members
