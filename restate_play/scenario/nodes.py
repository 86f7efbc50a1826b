"""The nodes of a cluster sandbox, as scenario steps see them: which node to kill, which to restart.

`crash = "node"` names a node by number, or `"leader"`: the node that leads the partition of a
labelled invocation (a durable step's leader is who appends its journal entries).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from restate_play.errors import PlayError
from restate_play.restate.cluster import ClusterView, failovers_between

if TYPE_CHECKING:
    from restate_play.scenario.actions.control import Crash
    from restate_play.scenario.runner import ScenarioRunner

NODE_PREFIX = "node "


def _cluster_part(run: ScenarioRunner, method: str) -> Callable[..., Any]:
    fn = getattr(run.sandbox, method, None)
    if fn is None:
        raise PlayError(f"'{method}' needs a cluster sandbox.", "Run the scenario with --nodes 3.")
    return fn


async def cluster_view(run: ScenarioRunner) -> ClusterView:
    return await asyncio.to_thread(_cluster_part(run, "cluster_view"))


async def partition_of(run: ScenarioRunner, label: str | None, view: ClusterView) -> int:
    """The partition of a labelled invocation (with one partition, as restate.toml sets, it is 0)."""
    if len(view.partitions) == 1 or not label:
        return view.partitions[0].id if view.partitions else 0
    inv_id = await run.invocation_id(label)
    rows = await run.sql.query(f"SELECT partition_key FROM sys_invocation_status WHERE id = '{inv_id}'")
    part = view.partition_of(int(rows[0]["partition_key"])) if rows else None
    if part is None:
        raise PlayError(f"The partition of '{label}' ({inv_id}) is not known.")
    return part.id


async def killer(run: ScenarioRunner, step: Crash) -> tuple[Callable[[], Any], str, dict[str, Any]]:
    """(kill it, its target name 'node N', what the crash record keeps: the partitions it led)."""
    view = await cluster_view(run)
    if step.node == "leader":
        partition = await partition_of(run, step.of, view)
        number = view.leader_number(partition)
        if number is None:
            raise PlayError(f"Partition {partition} has no leader to kill right now.")
        run.reporter.note(f"the leader of partition {partition} ('{step.of}') is node {number}")
    else:
        number = int(step.node or 0)
    node = view.numbered(number)
    led = view.led_by(node.id) if node else []
    kill = functools.partial(_cluster_part(run, "kill_node"), number)
    return kill, f"{NODE_PREFIX}{number}", {"node": number, "led": led}


def node_to_restart(run: ScenarioRunner, number: int | None) -> str:
    """'node N' for restart: the given node, else the one the run killed last."""
    if number is not None:
        return f"{NODE_PREFIX}{number}"
    for crash in reversed(run.result.crashes):
        if str(crash.get("target", "")).startswith(NODE_PREFIX):
            return str(crash["target"])
    raise PlayError("restart = 'node' without a number, and no node was killed before it.", "Give node = 2.")


def restarter(run: ScenarioRunner, target: str) -> Callable[[], float]:
    return functools.partial(_cluster_part(run, "restart_node"), int(target.removeprefix(NODE_PREFIX)))


class ClusterWatch:
    """What the live view's cluster panel shows: the cluster as last seen, and every failover seen
    since the run began ('+3.2s P0: leader n1 (N1) → n3 (N2)'), polled about once a second."""

    def __init__(self, sandbox: Any):
        self.sandbox = sandbox
        self.view: ClusterView | None = None
        self.failovers: list[str] = []
        self._t0 = time.monotonic()

    @classmethod
    def of(cls, sandbox: Any) -> ClusterWatch | None:
        """A watch when the runner's sandbox is a cluster (`run --nodes 3`), else None."""
        from restate_play.sandbox.cluster import RestateCluster

        server = getattr(getattr(sandbox, "sb", None), "server", None)
        return cls(sandbox) if isinstance(server, RestateCluster) else None

    async def refresh(self) -> None:
        try:
            view = await asyncio.to_thread(self.sandbox.cluster_view)
        except PlayError:
            return  # e.g. the node asked died in between: the next poll asks another
        if self.view is not None:
            offset = time.monotonic() - self._t0
            self.failovers += [f"+{offset:.1f}s {line}" for line in failovers_between(self.view, view)]
        self.view = view


def needs_cluster(steps: list[Any]) -> bool:
    """A scenario that kills or checks a node (crash = 'node', expect_cluster) needs a cluster."""
    return any(
        step.action == "expect_cluster" or (step.action in ("crash", "restart") and step.target == "node")
        for step in steps
    )
