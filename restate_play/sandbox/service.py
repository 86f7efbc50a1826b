"""The service process (a pattern or the user's code): start, health, SIGTERM, SIGKILL, restart on the same port."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx

from restate_play.errors import PlayError
from restate_play.loopback_http import loopback_client
from restate_play.sandbox.ports import HOST, pid_listens_on, port_in_use
from restate_play.sandbox.process import Child
from restate_play.waiting import WaitTimeout, eventually


class ServiceProcess:
    def __init__(
        self,
        slug: str,
        port: int,
        log_path: Path,
        env: dict[str, str],
        client_ports: tuple[int, ...] = (),
        target_args: list[str] | None = None,
    ):
        self.slug = slug
        self.target_args = target_args or [slug]  # what service_main serves (target.service_args())
        self.port = port
        self.client_ports = client_ports
        self.log_path = log_path
        self.env = env
        self.child: Child | None = None
        self.started_at: float | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.child.pid if self.child else None

    def start(self) -> None:
        for port in (self.port, *self.client_ports):
            if port_in_use(port):
                raise PlayError(
                    f"Port {port} (for the {self.slug} service process) is already in use on {HOST}.",
                    "Stop what holds it, or choose another with --service-port.",
                )
        # -P: no working directory on sys.path, so restate_play is the installed one even when the
        # command starts inside a checkout holding another copy (the user's code is put on the
        # path by service_main itself, after restate_play is imported).
        module = "restate_play.sandbox.service_main"
        args = [sys.executable, "-P", "-m", module, *self.target_args, "--port", str(self.port)]
        for p in self.client_ports:
            args += ["--client-port", str(p)]
        self.child = Child(f"service:{self.slug}", args, self.log_path, {"PYTHONUNBUFFERED": "1", **self.env})
        self.started_at = time.monotonic()
        self.starts += 1
        self.child.start()

    def poll_healthy(self, http: httpx.Client) -> bool:
        assert self.child is not None
        if not self.child.alive():
            raise PlayError(
                f"The {self.slug} service process exited during start-up. Last lines of its log:\n  "
                + "\n  ".join(self.child.log_tail(25))
            )
        try:
            ok = http.get(f"{self.url}/health").status_code == 200
        except httpx.TransportError:
            return False
        return ok and self.child.pid is not None and pid_listens_on(self.child.pid, self.port)

    def wait_healthy(self, timeout: float = 20.0) -> float:
        assert self.started_at is not None
        with loopback_client(timeout=1.0) as http:
            try:
                eventually(lambda: self.poll_healthy(http), timeout=timeout, interval=0.02, what="/health")
            except WaitTimeout:
                msg = f"The {self.slug} service did not answer /health within {timeout:.0f} s. Log: {self.log_path}"
                raise PlayError(msg) from None
        return time.monotonic() - self.started_at

    def alive(self) -> bool:
        return self.child is not None and self.child.alive()

    def kill(self) -> None:
        if self.child:
            self.child.kill()

    def stop(self) -> None:
        if self.child:
            self.child.stop(timeout=5.0)

    def restart(self) -> float:
        self.stop()
        self.start()
        return self.wait_healthy()

    def log_tail(self, lines: int = 20) -> list[str]:
        return self.child.log_tail(lines) if self.child else []
