"""A real restate-server process: configured, started on loopback, health-checked, crashable."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from restate_play.errors import PlayError
from restate_play.loopback_http import loopback_client
from restate_play.paths import server_config
from restate_play.sandbox.ports import HOST, pid_listens_on, port_in_use
from restate_play.sandbox.process import Child
from restate_play.waiting import WaitTimeout, eventually


@dataclass(frozen=True)
class ServerPorts:
    ingress: int = 8080
    admin: int = 9070
    fabric: int = 5122


class RestateServer:
    NODE_NAME = "restate-play"

    def __init__(
        self,
        binary: Path,
        base_dir: Path,
        ports: ServerPorts,
        extra_env: dict[str, str] | None = None,
        node_name: str | None = None,  # a cluster's nodes are n1, n2…; one server keeps NODE_NAME
    ):
        self.binary = binary
        self.node_name = node_name or self.NODE_NAME
        self.base_dir = base_dir
        self.ports = ports
        self.extra_env = dict(extra_env or {})
        self.child: Child | None = None
        self.started_at: float | None = None
        self.attached_pid: int | None = None  # a shared server someone else started and stops

    @classmethod
    def attach(cls, binary: Path, base_dir: Path, ports: ServerPorts, pid: int) -> RestateServer:
        """A handle on a running server this process does not own: never stopped or killed by it."""
        server = cls(binary, base_dir, ports)
        server.attached_pid = pid
        return server

    @property
    def ingress_url(self) -> str:
        return f"http://{HOST}:{self.ports.ingress}"

    @property
    def admin_url(self) -> str:
        return f"http://{HOST}:{self.ports.admin}"

    @property
    def log_path(self) -> Path:
        return self.base_dir / "restate-server.log"

    @property
    def pid(self) -> int | None:
        return self.child.pid if self.child else self.attached_pid

    def start(self) -> None:
        for label, port in (
            ("ingress", self.ports.ingress),
            ("admin", self.ports.admin),
            ("node fabric", self.ports.fabric),
        ):
            if port_in_use(port):
                raise PlayError(
                    f"Port {port} ({label} for restate-server) is already in use on {HOST}.",
                    "Stop what holds it (`restate-play serve` elsewhere? another restate-server?), "
                    "or pick other ports with --ingress-port / --admin-port.",
                )
        self.base_dir.mkdir(parents=True, exist_ok=True)
        env = {
            "RESTATE_ADMIN__BIND_ADDRESS": f"{HOST}:{self.ports.admin}",
            "RESTATE_INGRESS__BIND_ADDRESS": f"{HOST}:{self.ports.ingress}",
            "RESTATE_ADMIN__ADVERTISED_ADMIN_ENDPOINT": self.admin_url,
            "RESTATE_INGRESS__ADVERTISED_INGRESS_ENDPOINT": self.ingress_url,
            **self.extra_env,
        }
        args = [
            str(self.binary),
            "--config-file",
            str(server_config()),
            "--base-dir",
            str(self.base_dir),
            "--node-name",
            self.node_name,
            "--bind-ip",
            HOST,
            "--bind-port",
            str(self.ports.fabric),
            "--advertised-host",
            HOST,
            "--listen-mode",
            "tcp",
            "--no-logo",
            "--log-disable-ansi-codes",
            "true",
        ]
        self.child = Child("restate-server", args, self.log_path, env)
        self.started_at = time.monotonic()
        self.child.start()

    def poll_healthy(self, http: httpx.Client) -> bool:
        """One non-blocking health probe of *our* process (raises if it died)."""
        assert self.child is not None
        if not self.child.alive():
            raise PlayError(
                "restate-server exited during start-up. Last lines of its log:\n  "
                + "\n  ".join(self.child.log_tail(12)),
            )
        try:
            if http.get(f"{self.admin_url}/health").status_code != 200:
                return False
            if http.get(f"{self.ingress_url}/restate/health").status_code != 200:
                return False
        except httpx.TransportError:
            return False
        pid = self.child.pid
        assert pid is not None
        if not (pid_listens_on(pid, self.ports.admin) and pid_listens_on(pid, self.ports.ingress)):
            raise PlayError(
                f"Something else answers on ports {self.ports.admin}/{self.ports.ingress}, "
                "not the restate-server we started.",
            )
        return True

    def wait_healthy(self, timeout: float = 30.0) -> float:
        """Wait for admin and ingress health; returns seconds since start."""
        assert self.started_at is not None
        with loopback_client(timeout=1.0) as http:
            try:
                eventually(lambda: self.poll_healthy(http), timeout=timeout, interval=0.02, what="admin and ingress")
            except WaitTimeout:
                msg = f"restate-server did not become healthy within {timeout:.0f} s. Log: {self.log_path}"
                raise PlayError(msg) from None
        return time.monotonic() - self.started_at

    def kill(self) -> None:
        if self.child:
            self.child.kill()

    def stop(self) -> None:
        if self.child:
            self.child.stop(timeout=10.0)

    def restart(self, timeout: float = 30.0) -> float:
        """Start again on the same base dir and node name: Restate resumes from its data."""
        self.stop()
        self.start()
        return self.wait_healthy(timeout)
