"""The sandbox: restate-server ∥ the pattern's service process, registered, always cleaned up.

with Sandbox(get_pattern("sagas")) as sb:
    sb.ingress_url, sb.admin_url, sb.ledger_path
    sb.kill_service(); sb.restart_service(); sb.kill_server(); sb.restart_server()
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx

from restate_play.errors import PlayError
from restate_play.loopback_http import loopback_client
from restate_play.patterns.catalog import Pattern
from restate_play.sandbox.binary import ensure_binary, ensure_restatectl
from restate_play.sandbox.cluster import RestateCluster, nodes_ports
from restate_play.sandbox.components import Component, make_components
from restate_play.sandbox.ports import HOST, free_ports
from restate_play.sandbox.process import Child
from restate_play.sandbox.server import RestateServer, ServerPorts
from restate_play.sandbox.service import ExternalService, ServiceProcess
from restate_play.sandbox.shared_server import SharedServer
from restate_play.sandbox.target import USER_TARGETS, CommandTarget, DeploymentTarget, PatternTarget, Target
from restate_play.world.later import OUTBOX_ENV_VAR

Status = Callable[[str], None]
Service = ServiceProcess | ExternalService


@dataclass
class SandboxOptions:
    ingress_port: int | None = None  # None: a free port
    admin_port: int | None = None
    fabric_port: int | None = None
    service_port: int | None = None
    client_ports: tuple[int, ...] | None = None  # None: the pattern's documented ports, if free
    data_dir: Path | None = None  # None: a private temporary directory, removed at the end
    time_scale: float = 1.0
    extra_env: dict[str, str] = field(default_factory=dict)
    server_env: dict[str, str] = field(default_factory=dict)  # RESTATE_* overrides for restate-server
    # A running shared server (`restate-play server start`) to use instead of starting one.
    shared: SharedServer | None = None
    # Options for extra components (e.g. {"kafka_bootstrap": "host:port"} to use an existing broker).
    component_options: dict[str, str] = field(default_factory=dict)
    supervise: bool = False  # restart the service when it dies on its own (like `tsx watch`)
    nodes: int = 1  # more than 1: a cluster of that many restate-server nodes (sandbox/cluster.py)

    @classmethod
    def defaults(cls) -> SandboxOptions:
        """The source documents' ports: ingress 8080, admin 9070, service 9080."""
        return cls(ingress_port=8080, admin_port=9070, fabric_port=5122, service_port=9080)


@dataclass
class Timings:
    server_healthy: float = 0.0
    service_healthy: float = 0.0
    registered: float = 0.0
    ready: float = 0.0


class Sandbox:
    def __init__(
        self,
        pattern: Pattern,
        options: SandboxOptions | None = None,
        status: Status | None = None,
        target: Target | None = None,
    ):
        self.pattern = pattern  # for the user's code: its services are learnt when it registers
        self.target: Target = target or PatternTarget(pattern)
        self.options = options or SandboxOptions()
        self.status = status or (lambda _msg: None)
        self._own_dir = self.options.data_dir is None
        self.data_dir = self.options.data_dir or Path(tempfile.mkdtemp(prefix=f"restate-play-{pattern.slug}-"))
        self.timings = Timings()
        self.server: RestateServer | None = None
        self.service: Service | None = None
        self.world: Child | None = None  # the emulated providers' own process (Pattern.world_process)
        self.deployment_id: str | None = None
        self.components: list[Component] = []
        self._supervisor: threading.Thread | None = None
        self._closing = threading.Event()
        # Held while a part is restarted (from a worker thread: asyncio.to_thread, the supervisor),
        # and by close(): a restart still under way when the run is interrupted would otherwise
        # spawn a process after close() stopped the old one, and nobody would stop the new one.
        self._service_lock = threading.RLock()
        self._server_lock = threading.RLock()
        self._service_down_on_purpose = False
        self.unexpected_service_exits = 0

    # -- addresses -------------------------------------------------------------------------------
    @property
    def ingress_url(self) -> str:
        assert self.server
        return self.server.ingress_url

    @property
    def admin_url(self) -> str:
        assert self.server
        return self.server.admin_url

    @property
    def ledger_path(self) -> Path:
        return self.data_dir / "ledger.jsonl"

    @property
    def state_file(self) -> Path:
        return self.data_dir / "sandbox.json"

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> Sandbox:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        t0 = time.monotonic()
        binary = ensure_binary(self.status)
        opts = self.options
        needed = [p is None for p in (opts.ingress_port, opts.admin_port, opts.fabric_port, opts.service_port)]
        spare = iter(free_ports(sum(needed)))
        ingress, admin, fabric, service_port = (
            p if p is not None else next(spare)
            for p in (opts.ingress_port, opts.admin_port, opts.fabric_port, opts.service_port)
        )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Extra real parts: one the server is configured with (a Kafka broker) starts first; one only
        # the service needs (PostgreSQL) gets its address fixed now and starts once both are booting.
        self.components = make_components(self.pattern.needs, opts.component_options)
        component_env: dict[str, str] = {}
        server_env: dict[str, str] = {}
        beside = [c for c in self.components if not c.configures_server]
        for component in self.components:
            if component.configures_server:
                self.status(f"Starting {component.name}…")
                component.start(self.data_dir)
                server_env.update(component.server_env())
            else:
                component.reserve()
            component_env.update(component.service_env())
        if opts.shared is not None:
            self.server = opts.shared.handle()
        elif opts.nodes > 1:
            self.server = self._cluster(binary, ServerPorts(ingress, admin, fabric), {**server_env, **opts.server_env})
        else:
            self.server = RestateServer(
                binary,
                self.data_dir / "restate-data",
                ServerPorts(ingress, admin, fabric),
                extra_env={**server_env, **opts.server_env},
            )
        client_ports = opts.client_ports if opts.client_ports is not None else self.pattern.client_ports
        env = {
            "RESTATE_PLAY_LEDGER": str(self.ledger_path),
            "RESTATE_PLAY_TIME_SCALE": str(opts.time_scale),
            "RESTATE_INGRESS_URL": self.server.ingress_url,
            "RESTATE_ADMIN_URL": self.server.admin_url,
            **component_env,
            **opts.extra_env,
        }
        if self.pattern.world_process:
            outbox = self.data_dir / "outbox.jsonl"
            outbox.unlink(missing_ok=True)  # a kept data dir: what an earlier run queued is not redone
            env[OUTBOX_ENV_VAR] = str(outbox)
            # Same environment as the service (ledger, ingress, time scale, faults); same log, so
            # `serve` shows the provider's lines where the documents' terminals would.
            world_args = [sys.executable, "-P", "-m", "restate_play.world.later", str(outbox)]
            self.world = Child("world", world_args, self.data_dir / "service.log", env)
        self.service = self._service_for(service_port, env, tuple(client_ports))
        if opts.shared is not None:
            self.status(f"Starting the {self.pattern.slug} service (shared restate-server, pid {opts.shared.pid})…")
        else:
            self.status(f"Starting restate-server and the {self.pattern.slug} service…")
            # Server and service start in parallel: the server's ~0.3 s to health hides Python's import time.
            self.server.start()
        self.service.start()
        if self.world is not None:
            self.world.start()
        for component in beside:  # e.g. PostgreSQL's ~1 s (initdb) while both boot
            self.status(f"Starting {component.name}…")
            component.start(self.data_dir)
        if opts.shared is not None:
            # While the service boots, forget what earlier runs of this pattern left on the shared server.
            self.timings.server_healthy = max(time.monotonic() - t0, 1e-6)
            reset_pattern(self.server.admin_url, self.pattern.services)
        self._wait_both_healthy(t0)
        if self.world is not None and not self.world.alive():  # else webhooks would silently never come
            raise PlayError(
                "The world's own process (the emulated provider's webhooks) exited during start-up. "
                "Last lines of its log:\n  " + "\n  ".join(self.world.log_tail(15))
            )
        self.register()
        for component in self.components:  # e.g. Kafka topics, then subscriptions to the new handlers
            after_register = getattr(component, "after_register", None)
            if after_register is not None:
                after_register(self)
        self.timings.registered = time.monotonic() - t0
        self.timings.ready = self.timings.registered
        self._write_state_file()
        if opts.supervise:
            self._supervisor = threading.Thread(target=self._supervise, name="service-supervisor", daemon=True)
            self._supervisor.start()

    def _service_for(self, port: int, env: dict[str, str], client_ports: tuple[int, ...]) -> Service:
        log = self.data_dir / "service.log"
        target = self.target
        if isinstance(target, DeploymentTarget):
            return ExternalService(target.url, log)
        if isinstance(target, CommandTarget):
            return ServiceProcess(self.pattern.slug, port, log, env, command=target.command, cwd=target.cwd)
        return ServiceProcess(self.pattern.slug, port, log, env, client_ports, target.service_args())

    def _wait_both_healthy(self, t0: float, timeout: float = 30.0) -> None:
        # One loop probing both (no threads), so Ctrl-C during start-up stops at once.
        assert self.server and self.service
        deadline = time.monotonic() + timeout
        with loopback_client(timeout=1.0) as http:
            while not (self.timings.server_healthy and self.timings.service_healthy):
                if not self.timings.server_healthy and self.server.poll_healthy(http):
                    self.timings.server_healthy = time.monotonic() - t0
                if not self.timings.service_healthy and self.service.poll_healthy(http):
                    self.timings.service_healthy = time.monotonic() - t0
                if time.monotonic() > deadline:
                    raise PlayError(
                        f"The sandbox did not become healthy within {timeout:.0f} s. Logs: "
                        f"{self.server.log_path}, {self.service.log_path}"
                    )
                time.sleep(0.01)

    def register(self) -> None:
        assert self.server and self.service
        with loopback_client(timeout=30.0) as http:
            resp = http.post(f"{self.server.admin_url}/deployments", json={"uri": self.service.url, "force": True})
        if resp.status_code not in (200, 201):
            raise PlayError(
                f"Registering {self.service.url} with restate-server failed ({resp.status_code}): {resp.text}"
            )
        self.deployment_id = resp.json().get("id")
        if isinstance(self.server, RestateCluster):  # registered once; every node's ingress must know it
            self.server.wait_known(self.deployment_id)
        names = tuple(s.get("name", "") for s in resp.json().get("services", []))
        if isinstance(self.target, USER_TARGETS) and names:  # what the user's code turned out to hold
            self.pattern = replace(self.pattern, services=names)

    def reload_service(self) -> float:
        """--watch: the service restarted on the code as saved now, and registered again (a new
        deployment). A failure (a syntax error…) leaves it down, and the supervisor waits for the next."""
        with self._service_lock:
            assert self.service
            self._refuse_when_closing("service")
            self._service_down_on_purpose = True
            took = self.service.restart()
            self.register()
            self._service_down_on_purpose = False
        self._write_state_file()
        return took

    def close(self) -> None:
        self._closing.set()
        if self.server is not None and self.server.attached_pid is not None:
            self._forget_deployment()
        for part, lock in ((self.service, self._service_lock), (self.server, self._server_lock)):
            locked = lock.acquire(timeout=30.0)  # let a restart under way finish, then stop what it started
            try:
                if part is not None:
                    part.stop()
            except Exception:  # noqa: BLE001 - keep stopping the rest
                pass
            finally:
                if locked:
                    lock.release()
        if self.world is not None:
            self.world.stop(timeout=2.0)
        for component in reversed(self.components):
            try:
                component.stop()
            except Exception:  # noqa: BLE001 - keep stopping the rest
                pass
        self._remove_state_file()
        if self._own_dir and not os.environ.get("RESTATE_PLAY_KEEP_DATA"):
            shutil.rmtree(self.data_dir, ignore_errors=True)

    # -- crashes ---------------------------------------------------------------------------------
    def kill_service(self) -> None:
        with self._service_lock:
            assert self.service
            self._service_down_on_purpose = True  # the supervisor must not bring it back on its own
            self.service.kill()

    def _refuse_when_closing(self, part: str) -> None:
        if self._closing.is_set():
            raise PlayError(f"The sandbox is stopping: the {part} is not restarted.")

    def restart_service(self) -> float:
        with self._service_lock:
            assert self.service
            self._refuse_when_closing("service")
            took = self.service.restart()
            self._service_down_on_purpose = False
        self.resume_stuck()
        self._write_state_file()
        return took

    def _forget_deployment(self) -> None:
        """On a shared server, remove this run's deployment: its service process is about to stop."""
        if not (self.server and self.deployment_id):
            return
        try:
            with loopback_client(timeout=5.0) as http:
                http.delete(f"{self.server.admin_url}/deployments/{self.deployment_id}", params={"force": "true"})
        except httpx.HTTPError:
            pass

    def _own_server(self) -> RestateServer:
        assert self.server
        if self.server.attached_pid is not None:
            raise PlayError(
                "This run uses the shared restate-server (`restate-play server start`), which it must not crash.",
                "Scenarios that crash the server run on a private one: stop the shared server, or set "
                "RESTATE_PLAY_PRIVATE_SERVER=1.",
            )
        return self.server

    def kill_server(self) -> None:
        self._own_server().kill()

    # -- a cluster's nodes ---------------------------------------------------------------------------
    def _cluster(self, binary: Path, first: ServerPorts, env: dict[str, str]) -> RestateCluster:
        ports = nodes_ports(first, self.options.nodes, free_ports)
        self.status(f"Starting a {self.options.nodes}-node Restate cluster…")
        return RestateCluster(binary, self.data_dir / "restate-data", ports, ensure_restatectl(self.status), env)

    @property
    def cluster(self) -> RestateCluster:
        if not isinstance(self.server, RestateCluster):
            raise PlayError("This sandbox runs one restate-server, not a cluster.", "Start it with --nodes 3.")
        return self.server

    def kill_node(self, number: int) -> int | None:
        """SIGKILL one node of the cluster; returns its PID."""
        with self._server_lock:
            pid = self.cluster.kill_node(number)
        self._write_state_file()
        return pid

    def restart_node(self, number: int, *more: int) -> float:
        with self._server_lock:
            self._refuse_when_closing(f"node {number}")
            took = self.cluster.restart_node(number, *more)
        self.resume_stuck()
        self._write_state_file()
        return took

    def restart_server(self) -> float:
        with self._server_lock:
            self._refuse_when_closing("restate-server")
            took = self._own_server().restart()
        self.resume_stuck()
        self._write_state_file()
        return took

    def resume_stuck(self) -> int:
        """Ask Restate to retry backing-off or paused invocations now, instead of at their next back-off.

        After a restart the service is known to be back: waiting for the retry timer would only
        delay recovery (up to the policy's max interval, or forever for paused ones).
        """
        assert self.server
        resumed = 0
        try:
            with loopback_client(timeout=5.0) as http:
                rows = (
                    http.post(
                        f"{self.server.admin_url}/query",
                        json={
                            "query": "SELECT id FROM sys_invocation WHERE status IN ('backing-off', 'paused') LIMIT 500"
                        },
                        headers={"accept": "application/json"},
                    )
                    .json()
                    .get("rows", [])
                )
                for row in rows:
                    if http.patch(f"{self.server.admin_url}/invocations/{row['id']}/resume").status_code < 300:
                        resumed += 1
        except (httpx.HTTPError, ValueError):
            pass  # best effort: the retry policy brings them back within a second anyway
        return resumed

    def _supervise(self) -> None:
        while not self._closing.wait(0.2):
            with self._service_lock:
                svc = self.service
                if svc is None or svc.child is None or svc.alive() or self._closing.is_set():
                    continue
                if self._service_down_on_purpose:
                    continue
                self.unexpected_service_exits += 1
                self.status(f"The {self.pattern.slug} service process exited; restarting it (like `tsx watch`).")
                try:
                    svc.restart()
                except PlayError as err:
                    self.status(str(err))
                    continue
            self.resume_stuck()
            self._write_state_file()

    # -- state file for `kill` / `restart` from another shell -------------------------------------
    def describe(self) -> dict:
        assert self.server and self.service
        return {
            "pattern": self.pattern.slug,
            "code": self.target.source,
            "owner_pid": os.getpid(),
            "server": {
                "pid": self.server.pid,
                "ingress": self.server.ports.ingress,
                "admin": self.server.ports.admin,
                "fabric": self.server.ports.fabric,
            },
            "service": {
                "pid": self.service.pid,
                "port": self.service.port,
                "client_ports": list(self.service.client_ports),
            },
            "data_dir": str(self.data_dir),
            "host": HOST,
            "components": {c.name: c.describe() for c in self.components},
            "world": {"pid": self.world.pid} if self.world is not None else None,
            "shared_server": self.server.attached_pid is not None,
            "nodes": self.server.describe_nodes() if isinstance(self.server, RestateCluster) else None,
        }

    def _write_state_file(self) -> None:
        if not (self.server and self.service):
            return
        data = self.describe()
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        tmp.replace(self.state_file)

    def _remove_state_file(self) -> None:
        try:
            self.state_file.unlink()
        except FileNotFoundError:
            pass


def reset_pattern(admin_url: str, services: tuple[str, ...], timeout: float = 10.0) -> None:
    """Kill and purge a pattern's invocations and clear its K/V state on a (shared) server; with no
    services named (a user's code, on the server `run --watch` keeps for its session), everything's.

    Purging an invocation also forgets its idempotency key and, for workflows, their promises, so
    the next run starts as on a fresh server.
    """
    names = ", ".join("'" + s.replace("'", "''") + "'" for s in services)
    every = not services
    with loopback_client(timeout=10.0) as http:

        def query(sql: str) -> list[dict]:
            resp = http.post(f"{admin_url}/query", json={"query": sql}, headers={"accept": "application/json"})
            return resp.json().get("rows", []) if resp.status_code == 200 else []

        where = "true" if every else f"target_service_name IN ({names})"
        for row in query(f"SELECT id FROM sys_invocation WHERE {where} AND status != 'completed' LIMIT 5000"):
            http.patch(f"{admin_url}/invocations/{row['id']}/kill")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = query(f"SELECT id, status FROM sys_invocation WHERE {where} LIMIT 5000")
            if not rows:
                break
            for row in rows:
                action = "purge" if row.get("status") == "completed" else "kill"
                http.patch(f"{admin_url}/invocations/{row['id']}/{action}")
            time.sleep(0.02)
        of = "" if every else f" WHERE service_name IN ({names})"
        for row in query(f"SELECT DISTINCT service_name, service_key FROM state{of}"):
            http.post(
                f"{admin_url}/services/{row['service_name']}/state",
                json={"object_key": row["service_key"], "new_state": {}},
            )
