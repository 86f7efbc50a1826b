"""A real Restate cluster: N restate-server nodes on loopback, from one binary and one restate.toml.

Each node is a `RestateServer` (its own process group, base dir, log, ports) with per-node settings
on top of restate.toml as RESTATE_* variables: all roles, the same cluster name, node 1 provisions
the cluster, every node knows all metadata servers, the log is replicated on two nodes. The cluster
answers where one server does (`ingress_url`, `admin_url`: the first live node), so the sandbox uses
it in place of a `RestateServer`; `kill_node(n)` / `restart_node(n)` crash one machine.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

from restate_play.errors import PlayError
from restate_play.loopback_http import loopback_client
from restate_play.restate.cluster import LOGS_SQL, NODES_SQL, PARTITIONS_SQL, ClusterView, decode
from restate_play.sandbox.ports import HOST
from restate_play.sandbox.process import child_environment
from restate_play.sandbox.server import RestateServer, ServerPorts

CLUSTER_NAME = "restate-play"
ROLES = '["metadata-server", "admin", "worker", "log-server", "http-ingress"]'
# Failure detection for a playground on loopback: a node counts as dead after 5 gossip ticks
# (0.5 s, default 10) and the cluster controller acts every 0.2 s (default 1.5 s), so a partition
# gets a new leader ~1 s after its leader dies instead of ~2.6 s (measured with the defaults).
FAST_FAILOVER = {
    "RESTATE_GOSSIP_FAILURE_THRESHOLD": "5",
    "RESTATE_ADMIN__HEARTBEAT_INTERVAL": "200ms",
    # A node that (re)joins is 'suspect' this long before it counts as alive (default 5 s).
    "RESTATE_GOSSIP_SUSPECT_INTERVAL": "300ms",
    # When the metadata leader dies, nothing moves until the metadata cluster elects another: the
    # election waits 10 raft ticks (1-2 s with 100 ms ticks; 0.5-1 s with these).
    "RESTATE_METADATA_SERVER__RAFT_TICK_INTERVAL": "50ms",
    # A request that reached a node whose partition leader just died is retried towards the new one;
    # these back-offs grow to 3-5 s by default, which a request after a failover then waits for.
    "RESTATE_NETWORK_ERROR_RETRY_POLICY__MAX_INTERVAL": "500ms",
    "RESTATE_NETWORKING__CONNECT_RETRY_POLICY__MAX_INTERVAL": "500ms",
    "RESTATE_INGRESS__INGESTION__CONNECTION_RETRY_POLICY__MAX_INTERVAL": "500ms",
    "RESTATE_WORKER__SHUFFLE__CONNECTION_RETRY_POLICY__MAX_INTERVAL": "500ms",
}
# Lean memory, as restate.toml keeps one node: the log's record cache is 250 MB by default.
LEAN = {"RESTATE_BIFROST__RECORD_CACHE_MEMORY_SIZE": "20 MB"}


def node_env(index: int, all_ports: Sequence[ServerPorts], replication: int = 2) -> dict[str, str]:
    """restate.toml's settings plus what makes node `index` (1-based) one of the cluster."""
    fabric = [f"http://{HOST}:{p.fabric}" for p in all_ports]
    return {
        "RESTATE_CLUSTER_NAME": CLUSTER_NAME,
        "RESTATE_ROLES": ROLES,
        "RESTATE_AUTO_PROVISION": "true" if index == 1 else "false",
        "RESTATE_DEFAULT_REPLICATION": str(min(replication, len(all_ports))),
        "RESTATE_BIFROST__DEFAULT_PROVIDER": "replicated",
        "RESTATE_METADATA_CLIENT__ADDRESSES": json.dumps(fabric),
        "RESTATE_ADVERTISED_ADDRESS": fabric[index - 1],
        **FAST_FAILOVER,
        **LEAN,
    }


def query_cluster(restatectl: Path, addresses: Sequence[str], timeout: float = 5.0) -> ClusterView:
    """Nodes, partition leaders and log sequencers, from restatectl's cluster tables (three queries).

    One address at a time, the first that answers: given several, restatectl 1.7.12 gives up when
    the first is a dead node's."""
    errors = []
    for address in addresses:
        try:
            rows = [run_sql(restatectl, [address], sql, timeout) for sql in (NODES_SQL, PARTITIONS_SQL, LOGS_SQL)]
        except PlayError as err:
            errors.append(err)
            continue
        return decode(*rows, source=f"restatectl -s {address}")
    raise errors[-1] if errors else PlayError("No node address to ask.")


def run_sql(restatectl: Path, addresses: Sequence[str], sql: str, timeout: float = 5.0) -> list[dict]:
    args = [str(restatectl), "-s", ",".join(addresses), "sql", "--json", sql]
    try:
        proc = subprocess.run(
            args, capture_output=True, text=True, timeout=timeout, env=child_environment(), stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise PlayError(f"restatectl did not answer within {timeout:.0f} s ({' '.join(args[:3])}).") from None
    try:  # JSON on stdout; its "N rows. Query took …" goes to stderr
        rows = json.loads(proc.stdout) if proc.returncode == 0 else None
    except ValueError:
        rows = None
    if not isinstance(rows, list):
        detail = " ".join(re.sub(r"\x1b\[[0-9;]*m|[├└─│]", "", proc.stderr or proc.stdout).split())
        raise PlayError(
            f"restatectl could not read the cluster at {','.join(addresses)}: {detail[-200:] or 'no answer'}",
            "Is a node up there? `--address` takes the node-to-node (fabric) address, e.g. http://127.0.0.1:5122.",
        )
    return rows


class RestateCluster:
    """N nodes; node 1 is the one the sandbox's ports (8080/9070 under `serve`) belong to."""

    def __init__(
        self,
        binary: Path,
        base_dir: Path,
        ports: Sequence[ServerPorts],
        restatectl: Path,
        extra_env: dict[str, str] | None = None,
    ):
        if len(ports) < 2:
            raise PlayError("A cluster needs at least 2 nodes (one node is the default sandbox).")
        self.base_dir = base_dir
        self.restatectl = restatectl
        self.nodes = [
            RestateServer(
                binary,
                base_dir / f"n{i}",
                p,
                extra_env={**(extra_env or {}), **node_env(i, ports)},
                node_name=f"n{i}",
            )
            for i, p in enumerate(ports, start=1)
        ]
        self.attached_pid: int | None = None  # never a shared server
        self.started_at: float | None = None
        self._next_probe = 0.0
        self.waiting_for = "nothing yet"  # what the last start-up wait was on, for its error

    # -- what a single server offers --------------------------------------------------------------
    @property
    def live(self) -> RestateServer:
        """The first node whose process runs (node 1 unless it is down)."""
        return next((n for n in self.nodes if n.child is not None and n.child.alive()), self.nodes[0])

    @property
    def ingress_url(self) -> str:
        return self.live.ingress_url

    @property
    def admin_url(self) -> str:
        return self.live.admin_url

    @property
    def ports(self) -> ServerPorts:
        return self.nodes[0].ports

    @property
    def log_path(self) -> Path:
        return self.nodes[0].log_path

    @property
    def pid(self) -> int | None:
        return self.nodes[0].pid

    @property
    def fabric_addresses(self) -> list[str]:
        return [f"http://{HOST}:{n.ports.fabric}" for n in self.nodes]

    def node(self, number: int) -> RestateServer:
        if not 1 <= number <= len(self.nodes):
            raise PlayError(f"There is no node {number}: the cluster has nodes 1 to {len(self.nodes)}.")
        return self.nodes[number - 1]

    def start(self) -> None:
        self.started_at = time.monotonic()
        for node in self.nodes:
            node.start()

    def poll_healthy(self, http: httpx.Client) -> bool:
        """Every node healthy, then the cluster provisioned with every partition led (raises if a node died)."""
        for node in self.nodes:
            if not node.poll_healthy(http):
                self.waiting_for = f"admin and ingress health of node {node.node_name}"
                return False
        if time.monotonic() < self._next_probe:  # restatectl is a process: ask at most every 0.1 s
            return False
        self._next_probe = time.monotonic() + 0.1
        try:
            view = self.view(timeout=3.0)
        except PlayError as err:
            self.waiting_for = f"the cluster to be provisioned ({err.message})"
            return False
        if len(view.nodes) < len(self.nodes):
            self.waiting_for = f"all {len(self.nodes)} nodes to join the cluster (now {len(view.nodes)})"
            return False
        # Gossip calls a fresh node 'suspect' for a while; what traffic needs is a leader per partition.
        if not (view.partitions and all(p.leader for p in view.partitions)):
            self.waiting_for = "a leader for every partition"
            return False
        return True

    def wait_healthy(self, timeout: float = 30.0) -> float:
        from restate_play.waiting import WaitTimeout, eventually

        assert self.started_at is not None
        with loopback_client(timeout=1.0) as http:
            try:
                eventually(lambda: self.poll_healthy(http), timeout=timeout, interval=0.02, what="the cluster")
            except WaitTimeout:
                raise PlayError(
                    f"The {len(self.nodes)}-node cluster was not ready within {timeout:.0f} s: "
                    f"waiting for {self.waiting_for}. Logs: {self.base_dir}/n*/restate-server.log"
                ) from None
        return time.monotonic() - self.started_at

    def view(self, timeout: float = 5.0) -> ClusterView:
        return query_cluster(self.restatectl, self.fabric_addresses, timeout)

    def kill(self) -> None:
        for node in self.nodes:
            node.kill()

    def stop(self) -> None:
        # SIGTERM to all first: each node takes ~2 s to shut down, so they do it at the same time.
        import signal

        for node in self.nodes:
            if node.child is not None and node.child.alive():
                node.child.signal_group(signal.SIGTERM)
        for node in self.nodes:
            node.stop()

    def restart(self, timeout: float = 30.0) -> float:
        """All nodes down and up again on their data (what `restart server` means for a cluster)."""
        self.stop()
        self.start()
        return self.wait_healthy(timeout)

    # -- one machine --------------------------------------------------------------------------------
    def kill_node(self, number: int) -> int | None:
        """SIGKILL one node; returns its PID."""
        node = self.node(number)
        pid = node.pid
        node.kill()
        return pid

    def restart_node(self, number: int, *more: int, timeout: float = 30.0) -> float:
        """Start nodes again on their own data; they rejoin (same node names). All start before any
        is waited for: with the majority down, one node alone may not be healthy until another is back."""
        began = time.monotonic()
        nodes = [self.node(n) for n in (number, *more)]
        for node in nodes:
            node.stop()
            node.start()
        for node in nodes:
            node.wait_healthy(timeout)
        return time.monotonic() - began

    def next_ingress_url(self) -> str:
        """Each call the next live node's ingress: traffic spread over the cluster."""
        live = [n for n in self.nodes if n.child is not None and n.child.alive()] or self.nodes
        self._turn = getattr(self, "_turn", -1) + 1
        return live[self._turn % len(live)].ingress_url

    def node_alive(self, number: int) -> bool:
        child = self.node(number).child
        return child is not None and child.alive()

    def wait_known(self, deployment_id: str | None, timeout: float = 15.0) -> None:
        """Every live node's admin API knows the deployment: its ingress then routes to the new services."""
        if not deployment_id:
            return
        from restate_play.waiting import WaitTimeout, eventually

        def known(http: httpx.Client) -> bool:
            for node in self.nodes:
                if node.child is None or not node.child.alive():
                    continue
                try:
                    if http.get(f"{node.admin_url}/deployments/{deployment_id}").status_code != 200:
                        return False
                except httpx.TransportError:
                    return False
            return True

        with loopback_client(timeout=2.0) as http:
            try:
                eventually(lambda: known(http), timeout=timeout, interval=0.05, what="the deployment on every node")
            except WaitTimeout:
                raise PlayError(f"Not every node learnt deployment {deployment_id} within {timeout:.0f} s.") from None

    def describe_nodes(self) -> list[dict]:
        return [
            {
                "node": i,
                "name": n.node_name,
                "pid": n.pid if n.child is not None and n.child.alive() else None,
                "ingress": n.ports.ingress,
                "admin": n.ports.admin,
                "fabric": n.ports.fabric,
            }
            for i, n in enumerate(self.nodes, start=1)
        ]


def node_part(part: str) -> list[int] | None:
    """The node numbers of a chaos part: 'node 2' → [2], 'nodes 1+2' → [1, 2]; None for 'service'."""
    kind, _, numbers = part.partition(" ")
    if kind not in ("node", "nodes") or not numbers:
        return None
    return [int(n) for n in numbers.split("+")]


def node_parts(count: int, beyond_quorum: bool = False) -> tuple[str, ...]:
    """What chaos kills in a cluster of `count`: one node at a time (the rest keep a majority), and
    with `beyond_quorum` also as many at once as takes the majority away (2 of 3)."""
    singles = tuple(f"node {n}" for n in range(1, count + 1))
    if not beyond_quorum:
        return singles
    lost = count - (count // 2 + 1) + 1  # nodes down at once so that no majority is left
    groups = [list(range(start, start + lost)) for start in range(1, count - lost + 2)]
    return singles + tuple("nodes " + "+".join(map(str, g)) for g in groups)


def nodes_ports(first: ServerPorts, count: int, spare: Callable[[int], list[int]]) -> list[ServerPorts]:
    """Node 1 on the sandbox's ports; the others on free ones (`spare(n)` gives n free ports)."""
    free = iter(spare(3 * (count - 1)))
    return [first] + [ServerPorts(next(free), next(free), next(free)) for _ in range(count - 1)]


class SpreadTransport(httpx.AsyncBaseTransport):
    """Sends each request to a node of the cluster: the next one in turn (`spread`) or the first that
    accepts the connection. A refused connection (a dead node) goes on to the next node: nothing was
    sent, so no request is doubled; a request a node took and then died with fails, honestly."""

    def __init__(self, ports: Callable[[], list[int]], spread: bool):
        self._ports = ports
        self._spread = spread
        self._turn = 0
        self._inner = httpx.AsyncHTTPTransport(verify=False, limits=httpx.Limits(max_connections=200))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        ports = self._ports()
        start = self._turn % len(ports) if self._spread else 0
        self._turn += 1
        order = ports[start:] + ports[:start]
        for i, port in enumerate(order):
            request.url = request.url.copy_with(port=port)
            request.headers["host"] = f"{request.url.host}:{port}"
            try:
                return await self._inner.handle_async_request(request)
            except httpx.ConnectError:
                if i == len(order) - 1:
                    raise
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        await self._inner.aclose()


class NodeClients:
    """Async clients for a sandbox's server: spread over a cluster's nodes, or None (the clients'
    own defaults) for one server."""

    def __init__(self, server: object):
        self.ingress: httpx.AsyncClient | None = None
        self.admin: httpx.AsyncClient | None = None
        if isinstance(server, RestateCluster):
            nodes = server.nodes
            self.ingress = httpx.AsyncClient(
                transport=SpreadTransport(lambda: [n.ports.ingress for n in nodes], spread=True),
                timeout=httpx.Timeout(None, connect=5.0),  # as Ingress: a handler may run for minutes
                trust_env=False,
            )
            self.admin = httpx.AsyncClient(
                transport=SpreadTransport(lambda: [n.ports.admin for n in nodes], spread=False),
                timeout=30.0,
                trust_env=False,
            )

    async def aclose(self) -> None:
        for client in (self.ingress, self.admin):
            if client is not None:
                await client.aclose()
