"""The registry of running sandboxes: one small JSON record per `serve` (and per `run`) in the state dir.

    <state dir>/serves/<admin port>.json   a `restate-play serve` (one admin port, one serve)
    <state dir>/runs/<owner pid>.json      a `restate-play run` (runs may share a server's port)

A record names its owner process; a record whose owner is gone (killed with SIGKILL, or its PID now
belongs to another program) is ignored and deleted by whoever reads it. The owner removes its own
record on every way out (`with registered(...)`). Names are short and unique among running
sandboxes: the pattern's slug, then slug-2, slug-3…; commands accept them where they take an admin URL.

Stdlib only (and paths): `ps` and the lookups of the other commands read it without importing the sandbox.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from restate_play.paths import state_dir

KINDS = ("serve", "run")


def _folder(kind: str) -> str:
    return f"{kind}s"


class Record(NamedTuple):
    kind: str  # "serve" or "run"
    name: str
    pattern: str
    owner_pid: int
    owner_started: str  # the owner's start time in clock ticks (/proc), to tell a reused PID
    started: float  # wall-clock time (epoch seconds)
    host: str
    ports: dict[str, int]  # ingress, admin, service, fabric, and kafka, db, client… when there are
    pids: dict[str, int]  # server, service, world, kafka, db at registration (see live_pids)
    data_dir: str
    state_file: str  # the sandbox's own state file: its current PIDs after restarts
    path: Path = Path()  # where it is kept (not written into it)

    @property
    def admin_url(self) -> str:
        return f"http://{self.host}:{self.ports['admin']}"

    @property
    def ingress_url(self) -> str:
        return f"http://{self.host}:{self.ports['ingress']}"

    @property
    def age(self) -> float:
        return max(0.0, time.time() - self.started)

    def live_pids(self) -> dict[str, int]:
        """The PIDs now: a restarted service or server has a new one, kept in the sandbox's state file."""
        try:
            return pids_of(json.loads(Path(self.state_file).read_text()))
        except (OSError, ValueError, TypeError):
            return dict(self.pids)

    def to_dict(self) -> dict:
        data = self._asdict()
        data.pop("path")
        return {**data, "pids": {"owner": self.owner_pid, **self.live_pids()}, "age_seconds": round(self.age, 1)}


def ports_of(describe: dict) -> dict[str, int]:
    """The ports of a sandbox, from its state (`Sandbox.describe()`)."""
    server, service = describe.get("server") or {}, describe.get("service") or {}
    ports = {"ingress": server.get("ingress"), "admin": server.get("admin"), "service": service.get("port")}
    ports["fabric"] = server.get("fabric")
    for name, component in (describe.get("components") or {}).items():
        if component.get("port"):
            ports["db" if name == "postgres" else name] = component["port"]
    for i, port in enumerate(service.get("client_ports") or [], start=1):
        ports[f"client{i if i > 1 else ''}"] = port
    for node in (describe.get("nodes") or [])[1:]:  # a cluster: node 1 has the ports above
        for part in ("ingress", "admin", "fabric"):
            ports[f"node{node['node']}-{part}"] = node[part]
    return {k: int(v) for k, v in ports.items() if v}


def pids_of(describe: dict) -> dict[str, int]:
    pids = {
        "server": (describe.get("server") or {}).get("pid"),
        "service": (describe.get("service") or {}).get("pid"),
        "world": (describe.get("world") or {}).get("pid"),
    }
    for name, component in (describe.get("components") or {}).items():
        pids["db" if name == "postgres" else name] = component.get("pid")
    for node in (describe.get("nodes") or [])[1:]:  # `kill node 2` from another shell finds them
        pids[f"node{node['node']}"] = node.get("pid")
    return {k: int(v) for k, v in pids.items() if v}


def process_started(pid: int) -> str:
    """The process's start time in clock ticks since boot ('' when unknown): with the PID, its identity."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]  # field 22, counted after the command name


def owner_alive(record: Record) -> bool:
    try:
        os.kill(record.owner_pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    started = process_started(record.owner_pid)
    if started and record.owner_started and started != record.owner_started:
        return False  # the PID was reused by another process
    try:  # a zombie holds no port and will never clean up
        return "State:\tZ" not in Path(f"/proc/{record.owner_pid}/status").read_text()
    except OSError:
        return True


def _read(path: Path) -> Record | None:
    try:
        data = json.loads(path.read_text())
        data.pop("age_seconds", None)
        return Record(**{**data, "path": path, "pids": data.get("pids") or {}})
    except (OSError, ValueError, TypeError):
        return None


def records(kind: str | None = None, where: Path | None = None) -> list[Record]:
    """The sandboxes running now, oldest first; stale records are deleted on the way."""
    where = where or state_dir()
    found = []
    for k in (kind,) if kind else KINDS:
        for path in sorted((where / _folder(k)).glob("*.json")):
            record = _read(path)
            if record is not None and owner_alive(record):
                found.append(record)
            elif record is not None or _older_than(path, 5.0):  # a half-written file is left to its writer
                path.unlink(missing_ok=True)
    return sorted(found, key=lambda r: r.started)


def _older_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime > seconds
    except OSError:
        return False


def free_name(slug: str, taken: set[str]) -> str:
    """slug, else slug-2, slug-3…: the first one no running sandbox has."""
    if slug not in taken:
        return slug
    n = 2
    while f"{slug}-{n}" in taken:
        n += 1
    return f"{slug}-{n}"


@contextlib.contextmanager
def _locked(where: Path) -> Iterator[None]:
    # Two sandboxes starting at once must not both take the same name.
    where.mkdir(parents=True, exist_ok=True)
    with open(where / "registry.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def register(kind: str, describe: dict, where: Path | None = None) -> Record:
    """Write this process's record for a started sandbox (`Sandbox.describe()`); returns it."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    ports = ports_of(describe)
    where = where or state_dir()
    with _locked(where):
        running = records(where=where)
        suffix = "" if kind == "serve" else "run-"  # a run never takes a name a serve would print
        record = Record(
            kind=kind,
            name=free_name(suffix + describe["pattern"], {r.name for r in running}),
            pattern=describe["pattern"],
            owner_pid=os.getpid(),
            owner_started=process_started(os.getpid()),
            started=time.time(),
            host=describe.get("host", "127.0.0.1"),
            ports=ports,
            pids=pids_of(describe),
            data_dir=describe.get("data_dir", ""),
            state_file=str(Path(describe.get("data_dir", "")) / "sandbox.json"),
        )
        key = ports["admin"] if kind == "serve" else os.getpid()
        record = record._replace(path=where / _folder(kind) / f"{key}.json")
        record.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = record.path.with_name(f".{record.path.name}.{os.getpid()}.tmp")
        data = record._asdict()
        data.pop("path")
        tmp.write_text(json.dumps(data, indent=2))
        tmp.replace(record.path)
    return record


def unregister(record: Record) -> None:
    """Remove the record, if it is still this process's (another serve may own the port now)."""
    current = _read(record.path)
    if current is not None and current.owner_pid == os.getpid():
        record.path.unlink(missing_ok=True)


@contextlib.contextmanager
def registered(kind: str, describe: dict, where: Path | None = None) -> Iterator[Record]:
    """The record exists for the block's lifetime, whatever way the block ends."""
    record = register(kind, describe, where)
    try:
        yield record
    finally:
        unregister(record)


def find(name_or_port: str | int, kind: str | None = None, where: Path | None = None) -> Record | None:
    """The running sandbox with this name or admin port."""
    for record in records(kind, where):
        if record.name == str(name_or_port) or str(record.ports.get("admin")) == str(name_or_port):
            return record
    return None


def format_age(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def summary(record: Record) -> str:
    """One line that tells a sandbox from another: name, pattern, ports, pid."""
    ports = f"ingress {record.ports.get('ingress')}, admin {record.ports.get('admin')}"
    return f"{record.name} ({record.kind} {record.pattern}; {ports}; pid {record.owner_pid})"


def fabric_addresses(record: Record) -> list[str]:
    """The node-to-node addresses of a sandbox's server, or of every node of its cluster (restatectl's)."""
    ports = [record.ports.get("fabric")] + [v for k, v in sorted(record.ports.items()) if k.endswith("-fabric")]
    return [f"http://{record.host}:{p}" for p in ports if p]
