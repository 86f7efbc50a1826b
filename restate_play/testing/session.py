"""What a pytest session shares: its restate-server(s), an event loop for the async clients, the apps.

One restate-server per session (private ports and data dir), started on first use; a second one,
configured to let go of invocations at every await (always replay), only when a test asks for it.
The app under test is a `Sandbox` (the playground's one way to run a service process) attached to
that server, so crashes, restarts, ledger and logs work as they do for `restate-play run`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from restate_play.restate.admin import Admin
from restate_play.restate.ingress import Ingress
from restate_play.restate.introspection import Introspection
from restate_play.sandbox.binary import ensure_binary
from restate_play.sandbox.ports import free_ports
from restate_play.sandbox.sandbox import Sandbox, SandboxOptions
from restate_play.sandbox.server import RestateServer, ServerPorts
from restate_play.sandbox.shared_server import SharedServer
from restate_play.testing.apps import AppSpec

T = TypeVar("T")

# The SDK's own harness sets the same: the invoker lets go of an invocation whenever it awaits, so
# the handler is replayed from its journal at every step (restate/harness.py, `always_replay`).
ALWAYS_REPLAY_ENV = {"RESTATE_WORKER__INVOKER__INACTIVITY_TIMEOUT": "0s"}


class Loop:
    """A private event loop in a thread: the fixture's API is blocking, the clients are async.

    Its own thread keeps working when the test itself runs inside another loop (pytest-asyncio).
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="restate-fixture-loop", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5.0)


@dataclass
class Clients:
    """The playground's clients for one server, used on the session's loop only."""

    ingress: Ingress
    admin: Admin
    sql: Introspection

    @classmethod
    def for_server(cls, server: RestateServer) -> Clients:
        return cls(Ingress(server.ingress_url), Admin(server.admin_url), Introspection(server.admin_url))

    async def aclose(self) -> None:
        for client in (self.ingress, self.admin, self.sql):
            await client.aclose()


class Servers:
    """The session's restate-servers, by always-replay or not; each started when first needed."""

    def __init__(self, base_dir: Path, loop: Loop):
        self.base_dir = base_dir
        self.loop = loop
        self._servers: dict[bool, RestateServer] = {}
        self._clients: dict[bool, Clients] = {}
        self._lock = threading.Lock()

    def server(self, always_replay: bool) -> RestateServer:
        with self._lock:
            if always_replay not in self._servers:
                self._servers[always_replay] = self._start(always_replay)
                self._clients[always_replay] = Clients.for_server(self._servers[always_replay])
            return self._servers[always_replay]

    def clients(self, always_replay: bool) -> Clients:
        self.server(always_replay)
        return self._clients[always_replay]

    def _start(self, always_replay: bool) -> RestateServer:
        ingress, admin, fabric = free_ports(3)
        name = "replay-server" if always_replay else "server"
        env = ALWAYS_REPLAY_ENV if always_replay else {}
        server = RestateServer(ensure_binary(), self.base_dir / name, ServerPorts(ingress, admin, fabric), env)
        try:
            server.start()
            server.wait_healthy()
        except BaseException:
            server.stop()
            raise
        return server

    def pids(self) -> list[int]:
        return [s.pid for s in self._servers.values() if s.pid is not None]

    def close(self) -> None:
        for clients in self._clients.values():
            try:
                self.loop.run(clients.aclose(), timeout=5.0)
            except Exception:  # noqa: BLE001 - stopping the servers matters more
                pass
        for server in self._servers.values():
            # The data dir is thrown away: SIGKILL spares the ~2 s of a graceful stop (kept data: graceful).
            server.stop() if os.environ.get("RESTATE_PLAY_KEEP_DATA") else server.kill()
        self._servers.clear()
        self._clients.clear()


def shared_handle(server: RestateServer) -> SharedServer:
    """The session's server as the Sandbox sees a server it uses but does not own (never stopped by it)."""
    assert server.pid is not None
    ports = server.ports
    return SharedServer(
        server.pid, ports.ingress, ports.admin, ports.fabric, str(server.base_dir), str(server.binary), time.time()
    )


def start_app(spec: AppSpec, server: RestateServer) -> Sandbox:
    """The app's service process, registered with the session's server."""
    target = spec.target()
    options = SandboxOptions(shared=shared_handle(server), extra_env=dict(spec.env))
    sandbox = Sandbox(target.pattern, options, target=target)
    try:
        sandbox.start()
    except BaseException:
        sandbox.close()
        raise
    return sandbox


class Session:
    """Everything the session started; `close()` stops it all (also on SIGTERM and at exit)."""

    def __init__(self, base_dir: Path, always_replay: bool):
        self.base_dir = base_dir
        self.always_replay = always_replay  # --restate-always-replay: every test on the replay server
        self.loop = Loop()
        self.servers = Servers(base_dir, self.loop)
        self.sandboxes: list[Sandbox] = []
        self._closed = False
        _stop_on_sigterm()

    def start_app(self, spec: AppSpec, always_replay: bool) -> Sandbox:
        sandbox = start_app(spec, self.servers.server(always_replay))
        self.sandboxes.append(sandbox)
        return sandbox

    def stop_app(self, sandbox: Sandbox) -> None:
        # SIGKILL first: a graceful stop waits up to 2 s for the server's open HTTP/2 connection.
        if sandbox.service is not None:
            sandbox.kill_service()
        sandbox.close()
        if sandbox in self.sandboxes:
            self.sandboxes.remove(sandbox)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for sandbox in list(self.sandboxes):
            self.stop_app(sandbox)
        self.servers.close()
        self.loop.close()
        if not os.environ.get("RESTATE_PLAY_KEEP_DATA"):
            shutil.rmtree(self.base_dir, ignore_errors=True)


def _stop_on_sigterm() -> None:
    """SIGTERM of the pytest process (a CI job cancelled) runs the teardown like Ctrl-C does.

    Every child is in its own process group, so it would otherwise outlive the session.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:

        def interrupt(_signum: int, _frame: object) -> None:
            raise KeyboardInterrupt("SIGTERM")

        signal.signal(signal.SIGTERM, interrupt)
