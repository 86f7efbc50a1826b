"""A restate-server kept running in the background for repeated runs (`restate-play server start`).

Runs then start only their service process, register a fresh deployment and clear what earlier
runs of the same pattern left (invocations, state): the server's ~0.3 s start-up is paid once.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from restate_play.errors import PlayError
from restate_play.loopback_http import loopback_client
from restate_play.paths import state_dir
from restate_play.sandbox.binary import ensure_binary
from restate_play.sandbox.ports import HOST, free_ports, pid_listens_on
from restate_play.sandbox.server import RestateServer, ServerPorts
from restate_play.waiting import WaitTimeout, eventually


def state_file() -> Path:
    return state_dir() / "server.json"


@dataclass(frozen=True)
class SharedServer:
    pid: int
    ingress: int
    admin: int
    fabric: int
    base_dir: str
    binary: str
    started_at: float

    @property
    def admin_url(self) -> str:
        return f"http://{HOST}:{self.admin}"

    @property
    def ingress_url(self) -> str:
        return f"http://{HOST}:{self.ingress}"

    def handle(self) -> RestateServer:
        return RestateServer.attach(
            Path(self.binary), Path(self.base_dir), ServerPorts(self.ingress, self.admin, self.fabric), self.pid
        )

    def alive(self) -> bool:
        # The PID must still be *our* server: its command line names the base directory we gave it.
        try:
            cmdline = Path(f"/proc/{self.pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return False
        return self.base_dir in cmdline

    def healthy(self) -> bool:
        if not self.alive():
            return False
        try:
            with loopback_client(timeout=1.0) as http:
                ok = http.get(f"{self.admin_url}/health").status_code == 200
        except httpx.TransportError:
            return False
        return ok and pid_listens_on(self.pid, self.admin)


def find_shared() -> SharedServer | None:
    """The running shared server, or None (a stale state file is removed)."""
    try:
        server = SharedServer(**json.loads(state_file().read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if not server.alive():
        state_file().unlink(missing_ok=True)
        return None
    return server


def start_shared(status=lambda _m: None) -> SharedServer:
    running = find_shared()
    if running is not None:
        raise PlayError(
            f"A shared restate-server is already running (pid {running.pid}, ingress {running.ingress_url}, "
            f"admin {running.admin_url}).",
            "Stop it with `restate-play server stop`.",
        )
    binary = ensure_binary(status)
    ingress, admin, fabric = free_ports(3)
    base_dir = state_dir() / "shared-server" / uuid.uuid4().hex[:12]
    server = RestateServer(binary, base_dir, ServerPorts(ingress, admin, fabric))
    server.start()
    try:
        took = server.wait_healthy()
    except BaseException:
        server.stop()
        shutil.rmtree(base_dir, ignore_errors=True)
        raise
    assert server.pid is not None
    shared = SharedServer(server.pid, ingress, admin, fabric, str(base_dir), str(binary), time.time())
    state_file().parent.mkdir(parents=True, exist_ok=True)
    state_file().write_text(json.dumps(asdict(shared), indent=2))
    status(f"restate-server up in {took:.2f} s")
    return shared


def stop_shared(timeout: float = 15.0) -> SharedServer | None:
    server = find_shared()
    if server is None:
        return None
    os.killpg(server.pid, signal.SIGTERM)
    try:
        eventually(lambda: not server.alive(), timeout=timeout, interval=0.05, what="restate-server gone after SIGTERM")
    except WaitTimeout:
        os.killpg(server.pid, signal.SIGKILL)
        with contextlib.suppress(WaitTimeout):  # reported by the caller, which checks the pid
            eventually(lambda: not server.alive(), timeout=5, interval=0.05, what="restate-server gone after SIGKILL")
    state_file().unlink(missing_ok=True)
    shutil.rmtree(server.base_dir, ignore_errors=True)
    return server
