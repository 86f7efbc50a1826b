"""expect_cluster: a check on a cluster sandbox's state (nodes dead or alive, leadership moved)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from restate_play.restate.cluster import ClusterView
from restate_play.scenario.actions.base import Doc, Expectation, Strict, Verdict, action

if TYPE_CHECKING:
    from restate_play.scenario.runner import ScenarioRunner


class ClusterQuery(Strict):
    dead: list[int] = Doc("Node numbers the cluster must see as dead.", default_factory=list)
    alive: list[int] = Doc("Node numbers the cluster must see as alive.", default_factory=list)
    leader_moved: bool = Doc(
        "Every partition a killed node led when it was killed now has another leader, and it is alive.", False
    )


@dataclass(frozen=True)
class ClusterSeen:
    view: ClusterView
    led: dict[int, list[int]]  # killed node number → the partitions it led when killed


@action
class ExpectCluster(Expectation[ClusterSeen]):
    name: ClassVar[str] = "expect_cluster"
    summary: ClassVar[str] = "The cluster's state (run --nodes 3): nodes dead or alive, leadership moved."
    example: ClassVar[str] = "expect_cluster = { dead = [2], leader_moved = true }"
    expect_cluster: ClusterQuery = Field(description="What the cluster must look like.")

    async def observe(self, run: ScenarioRunner) -> ClusterSeen:
        from restate_play.scenario.nodes import cluster_view

        led = {int(c["node"]): list(c.get("led", [])) for c in run.result.crashes if c.get("node")}
        return ClusterSeen(await cluster_view(run), led)

    def judge(self, seen: ClusterSeen) -> Verdict:
        q, view = self.expect_cluster, seen.view
        problems = []
        for number, want in [(n, "dead") for n in q.dead] + [(n, "alive") for n in q.alive]:
            node = view.numbered(number)
            state = node.state if node else "not in the cluster"
            if state != want:
                problems.append(f"node {number} is {state}, expected {want}")
        if q.leader_moved:
            problems += _unmoved(view, seen.led)
        parts = [f"node {n} dead" for n in q.dead] + [f"node {n} alive" for n in q.alive]
        parts += ["leadership moved off the killed nodes"] if q.leader_moved else []
        leaders = ", ".join(f"P{p.id}: {view.label(p.leader)}" for p in view.partitions) or "no partitions"
        return Verdict("cluster: " + ", ".join(parts), not problems, "; ".join(problems) or f"as expected ({leaders})")


def _unmoved(view: ClusterView, led: dict[int, list[int]]) -> list[str]:
    if not led:
        return ["no node was killed in this run, so no leadership could move"]
    problems = []
    for number, partitions in led.items():
        killed = view.numbered(number)
        for pid in partitions:
            part = next((p for p in view.partitions if p.id == pid), None)
            leader = view.node(part.leader) if part else None
            if leader is None or not leader.alive or (killed is not None and leader.id == killed.id):
                problems.append(
                    f"P{pid} (led by node {number} when it was killed) is led by {view.label(part and part.leader)}"
                )
    return problems
