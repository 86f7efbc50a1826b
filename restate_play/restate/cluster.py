"""What a Restate cluster looks like now: nodes, partition leaders, log sequencers (typed records).

Decoded from the rows of restatectl's cluster tables (`nodes`, `partitions`, `logs_tail_segments`,
`restatectl sql --json`): the admin API of 1.7.12 has no view of leaders or sequencers. Pure: the
views draw these records, the sandbox and `cluster status` fill them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ROLE_COLUMNS = {
    "has_metadata_server_role": "metadata-server",
    "has_admin_role": "admin",
    "has_worker_role": "worker",
    "has_log_server_role": "log-server",
    "has_ingress_role": "http-ingress",
}

NODES_SQL = (
    "SELECT plain_node_id, gen_node_id, name, state, address, has_admin_role, has_worker_role, "
    "has_metadata_server_role, has_log_server_role, has_ingress_role, metadata_server_state FROM nodes"
)
PARTITIONS_SQL = (
    "SELECT partition_id, start_key, end_key, leader_plain_node_id, leader_epoch, current_replica_set FROM partitions"
)
LOGS_SQL = "SELECT log_id, kind, sequencer, nodeset, replication FROM logs_tail_segments"


@dataclass(frozen=True)
class NodeInfo:
    id: str  # N1, as restatectl names it
    name: str  # n1: the node name it was started with
    state: str  # alive, dead, suspect…
    roles: tuple[str, ...] = ()
    address: str = ""
    metadata: str = ""  # member, standby…

    @property
    def alive(self) -> bool:
        return self.state == "alive"

    @property
    def number(self) -> int | None:
        """The sandbox's node number (`kill node 2`), from the name it started with (n2).

        Not from the id: Restate numbers nodes in the order they join, so n3 may well be N2."""
        digits = self.name[1:] if self.name.startswith("n") else ""
        return int(digits) if digits.isdigit() else None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.id})" if self.name else self.id


@dataclass(frozen=True)
class PartitionInfo:
    id: int
    leader: str | None  # N1, or None while no node leads it
    epoch: str = ""
    replicas: tuple[str, ...] = ()
    start_key: int = 0
    end_key: int = 2**64 - 1


@dataclass(frozen=True)
class LogInfo:
    id: int
    sequencer: str | None  # N1 (restatectl shows the generation too: N1:2)
    kind: str = ""
    nodeset: str = ""
    replication: str = ""


@dataclass
class ClusterView:
    nodes: list[NodeInfo] = field(default_factory=list)
    partitions: list[PartitionInfo] = field(default_factory=list)
    logs: list[LogInfo] = field(default_factory=list)
    source: str = ""  # how it was learnt, e.g. "restatectl -s http://127.0.0.1:5122"

    def node(self, node_id: str | None) -> NodeInfo | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def numbered(self, number: int) -> NodeInfo | None:
        return next((n for n in self.nodes if n.number == number), None)

    def label(self, node_id: str | None) -> str:
        """'n3 (N2)' for N2: the name a person typed, and Restate's id."""
        node = self.node(node_id)
        return node.label if node else (node_id or "none")

    def leader_number(self, partition: int = 0) -> int | None:
        """The sandbox's number of the node leading `partition`."""
        p = next((p for p in self.partitions if p.id == partition), None)
        node = self.node(p.leader) if p else None
        return node.number if node else None

    def dead(self) -> list[NodeInfo]:
        return [n for n in self.nodes if not n.alive]

    def led_by(self, node_id: str) -> list[int]:
        return [p.id for p in self.partitions if p.leader == node_id]

    def partition_of(self, partition_key: int) -> PartitionInfo | None:
        return next((p for p in self.partitions if p.start_key <= partition_key <= p.end_key), None)

    def leaders_alive(self) -> bool:
        """Every partition has a leader, and that node is alive."""
        return bool(self.partitions) and all(
            p.leader and (n := self.node(p.leader)) is not None and n.alive for p in self.partitions
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _plain(node: Any) -> str | None:
    """'N1:2' → 'N1'; '' or None → None."""
    return str(node).split(":", 1)[0] if node else None


def decode(nodes: list[dict], partitions: list[dict], logs: list[dict], source: str = "") -> ClusterView:
    return ClusterView(
        nodes=sorted(
            (
                NodeInfo(
                    id=str(r.get("plain_node_id", "")),
                    name=str(r.get("name", "")),
                    state=str(r.get("state", "unknown")),
                    roles=tuple(role for col, role in ROLE_COLUMNS.items() if r.get(col)),
                    address=str(r.get("address", "")),
                    metadata=str(r.get("metadata_server_state", "")),
                )
                for r in nodes
            ),
            key=lambda n: (n.number or 0, n.id),
        ),
        partitions=sorted(
            (
                PartitionInfo(
                    id=int(r["partition_id"]),
                    leader=_plain(r.get("leader_plain_node_id")),
                    epoch=str(r.get("leader_epoch", "")),
                    replicas=tuple(x for x in str(r.get("current_replica_set", "")).split(",") if x),
                    start_key=int(r.get("start_key", 0)),
                    end_key=int(r.get("end_key", 2**64 - 1)),
                )
                for r in partitions
            ),
            key=lambda p: p.id,
        ),
        logs=sorted(
            (
                LogInfo(
                    id=int(r["log_id"]),
                    sequencer=_plain(r.get("sequencer")),
                    kind=str(r.get("kind", "")),
                    nodeset=str(r.get("nodeset", "")),
                    replication=str(r.get("replication", "")),
                )
                for r in logs
            ),
            key=lambda log: log.id,
        ),
        source=source,
    )


def failovers_between(before: ClusterView, after: ClusterView) -> list[str]:
    """Partitions whose leader changed, and nodes that died or came back, as lines."""
    lines = []
    old = {p.id: p.leader for p in before.partitions}
    for p in after.partitions:
        if p.id in old and old[p.id] != p.leader:
            lines.append(f"P{p.id}: leader {before.label(old[p.id])} → {after.label(p.leader)}")
    was = {n.id: n.state for n in before.nodes}
    for n in after.nodes:
        if n.id in was and was[n.id] != n.state and n.state in ("alive", "dead"):
            lines.append(f"{n.label} is {n.state}")
    return lines
