"""The service process (a pattern, the user's code or command): start, health, SIGTERM, SIGKILL,
restart on the same port. `ExternalService` stands in for a deployment the user runs."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from restate_play.errors import PlayError
from restate_play.loopback_http import loopback_client
from restate_play.sandbox.ports import HOST, group_listens_on, pid_listens_on, port_in_use
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
        command: str | None = None,
        cwd: Path | None = None,
    ):
        self.slug = slug
        self.target_args = target_args or [slug]  # what service_main serves (target.service_args())
        self.command = command  # a user's shell command instead (any language), run in `cwd`
        self.cwd = cwd
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
        env = {"PYTHONUNBUFFERED": "1", **self.env, "PORT": str(self.port)}
        cwd = {"cwd": self.cwd} if self.cwd else {}
        self.child = Child(f"service:{self.slug}", self._args(), self.log_path, env, cwd)
        self.started_at = time.monotonic()
        self.starts += 1
        self.child.start()

    def _args(self) -> list[str]:
        if self.command:
            return ["/bin/sh", "-c", self.command]
        # -P: no working directory on sys.path, so restate_play is the installed one even when the
        # command starts inside a checkout holding another copy (the user's code is put on the
        # path by service_main itself, after restate_play is imported).
        module = "restate_play.sandbox.service_main"
        args = [sys.executable, "-P", "-m", module, *self.target_args, "--port", str(self.port)]
        for p in self.client_ports:
            args += ["--client-port", str(p)]
        return args

    def poll_healthy(self, http: httpx.Client) -> bool:
        assert self.child is not None
        if not self.child.alive():
            what = f"`{self.command}`" if self.command else f"The {self.slug} service process"
            raise PlayError(
                f"{what} exited during start-up. Last lines of its log:\n  " + "\n  ".join(self.child.log_tail(25)),
                f"It must listen on 127.0.0.1:$PORT (here {self.port})." if self.command else None,
            )
        if self.command:  # any language: no /health route to count on, so its port listening is the sign
            return self.child.pid is not None and group_listens_on(self.child.pid, self.port)
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
                answer = f"listen on port {self.port}" if self.command else "answer /health"
                msg = f"The {self.slug} service did not {answer} within {timeout:.0f} s. Log: {self.log_path}"
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


class ExternalService:
    """--deployment URL: a service the user runs. The sandbox registers it and never starts, kills or
    restarts it (scenarios that would are refused before anything starts)."""

    pid = None
    client_ports: tuple[int, ...] = ()
    starts = 0
    GRACE = 3.0  # seconds: a deployment the user started a moment ago may still be binding

    def __init__(self, url: str, log_path: Path):
        self.url = url
        self.log_path = log_path  # nothing is written: its log is wherever the user runs it
        parts = urlsplit(url)
        self.host = parts.hostname or HOST
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.first_poll: float | None = None

    def start(self) -> None:
        pass

    def poll_healthy(self, http: httpx.Client) -> bool:
        with socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET) as s:
            s.settimeout(0.5)
            if s.connect_ex((self.host, self.port)) == 0:
                return True
        self.first_poll = self.first_poll or time.monotonic()
        if time.monotonic() - self.first_poll > self.GRACE:  # it runs already, or it is not there
            raise PlayError(
                f"Nothing listens at {self.url} (--deployment), after {self.GRACE:.0f} s of trying.",
                "Start your service first (on 127.0.0.1), or let restate-play start it: --service-cmd CMD.",
            )
        return False

    def wait_healthy(self, timeout: float = 10.0) -> float:
        return 0.0

    def alive(self) -> bool:
        return True

    def _refuse(self) -> None:
        raise PlayError(
            f"The service at {self.url} is yours (--deployment): restate-play does not crash or restart it.",
            "Let restate-play start it with --service-cmd CMD, and it can.",
        )

    def kill(self) -> None:
        self._refuse()

    def restart(self) -> float:
        self._refuse()
        return 0.0

    def stop(self) -> None:
        pass  # not ours to stop

    def log_tail(self, lines: int = 20) -> list[str]:
        return []
