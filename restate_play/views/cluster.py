"""The cluster panel: nodes alive or dead, who leads each partition, who sequences each log, failovers.

Pure: a `ClusterView` (and the failovers seen so far) in, a rich renderable out.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from restate_play.restate.cluster import ClusterView

ROLE_SHORT = {
    "metadata-server": "meta",
    "admin": "admin",
    "worker": "worker",
    "log-server": "log",
    "http-ingress": "ingress",
}


def state_text(state: str) -> Text:
    if state == "alive":
        return Text("● alive", style="green")
    if state == "dead":
        return Text("✖ dead", style="bold red")
    return Text(f"◌ {state}", style="yellow")  # suspect: joining, or about to be declared dead


def nodes_table(view: ClusterView) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("NODE", "ID", "STATE", "LEADS", "SEQUENCER", "METADATA", "ROLES"):
        table.add_column(column)
    for node in view.nodes:
        leads = ", ".join(f"P{p}" for p in view.led_by(node.id)) or "-"
        sequences = ", ".join(f"log {log.id}" for log in view.logs if log.sequencer == node.id) or "-"
        roles = " ".join(ROLE_SHORT.get(r, r) for r in node.roles)
        table.add_row(node.name, node.id, state_text(node.state), leads, sequences, node.metadata or "-", roles)
    return table


def partitions_table(view: ClusterView) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("PARTITION", "LEADER", "EPOCH", "REPLICAS", "LOG", "NODESET", "REPLICATION"):
        table.add_column(column)
    logs = {log.id: log for log in view.logs}
    for p in view.partitions:
        leader = view.node(p.leader)
        style = "green" if leader is not None and leader.alive else "bold red"
        log = logs.get(p.id)  # partition N writes to log N
        table.add_row(
            f"P{p.id}",
            Text(view.label(p.leader), style=style),
            p.epoch,
            ",".join(p.replicas) or "-",
            f"{log.kind} (seq {view.label(log.sequencer)})" if log else "-",
            log.nodeset if log else "-",
            log.replication if log else "-",
        )
    return table


def summary_line(view: ClusterView) -> Text:
    dead = view.dead()
    alive = len(view.nodes) - len(dead)
    text = Text(f"{alive}/{len(view.nodes)} nodes alive", style="green" if not dead else "yellow")
    if dead:
        text.append(f" · down: {', '.join(n.label for n in dead)}", style="bold red")
    majority = len(view.nodes) // 2 + 1
    if view.nodes and alive < majority:
        text.append(f" · no majority ({alive} of {majority} needed): requests wait", style="bold red")
    return text


def cluster_panel(view: ClusterView, failovers: Sequence[str] = (), title: str = "cluster") -> RenderableType:
    parts: list[RenderableType] = [summary_line(view), nodes_table(view), Text(""), partitions_table(view)]
    if failovers:
        parts.append(Text("\n".join(f"⇄ {line}" for line in failovers[-5:]), style="magenta"))
    return Panel(Group(*parts), title=title, title_align="left", border_style="blue")


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
