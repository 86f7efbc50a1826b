"""The cluster panel: nodes alive or dead, who leads each partition, who sequences each log, failovers.

Pure: a `ClusterView` (and the failovers seen so far) in, a rich renderable out.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.layout import Layout
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


def nodes_table(view: ClusterView, compact: bool = False) -> Table:
    """`compact` (the live view's narrow column): without the metadata state and the roles."""
    table = Table(box=None, pad_edge=False, header_style="bold")
    columns = ("NODE", "ID", "STATE", "LEADS", "SEQUENCER") + (() if compact else ("METADATA", "ROLES"))
    for column in columns:
        table.add_column(column, no_wrap=compact)
    for node in view.nodes:
        leads = ", ".join(f"P{p}" for p in view.led_by(node.id)) or "-"
        sequences = ", ".join(f"log {log.id}" for log in view.logs if log.sequencer == node.id) or "-"
        roles = " ".join(ROLE_SHORT.get(r, r) for r in node.roles)
        cells = [node.name, node.id, state_text(node.state), leads, sequences]
        table.add_row(*cells, *(() if compact else (node.metadata or "-", roles)))
    return table


def partitions_table(view: ClusterView, compact: bool = False) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    columns = ("PARTITION", "LEADER", "EPOCH", "REPLICAS") + (() if compact else ("LOG", "NODESET", "REPLICATION"))
    for column in columns:
        table.add_column(column, no_wrap=compact)
    logs = {log.id: log for log in view.logs}
    for p in view.partitions:
        leader = view.node(p.leader)
        style = "green" if leader is not None and leader.alive else "bold red"
        log = logs.get(p.id)  # partition N writes to log N
        cells = [f"P{p.id}", Text(view.label(p.leader), style=style), p.epoch, ",".join(p.replicas) or "-"]
        if not compact:
            cells += [
                f"{log.kind} (seq {view.label(log.sequencer)})" if log else "-",
                log.nodeset if log else "-",
                log.replication if log else "-",
            ]
        table.add_row(*cells)
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


def cluster_panel(
    view: ClusterView, failovers: Sequence[str] = (), title: str = "cluster", compact: bool = False
) -> RenderableType:
    parts: list[RenderableType] = [summary_line(view)]
    if failovers:  # under the summary: what changed is what a person looks for
        shown = Text("\n".join(f"⇄ {line}" for line in failovers[-5:]), style="magenta", no_wrap=compact)
        parts.append(shown)
    parts += [nodes_table(view, compact), Text(""), partitions_table(view, compact)]
    return Panel(Group(*parts), title=title, title_align="left", border_style="blue")


def with_cluster_panel(layout: Layout, view: ClusterView, failovers: Sequence[str] = ()) -> Layout:
    """The live dashboard with the cluster panel under its right-hand column."""
    rows = 6 + len(view.nodes) + len(view.partitions) + min(len(failovers), 5)
    layout["right"].add_split(Layout(cluster_panel(view, failovers, compact=True), name="cluster", size=rows))
    return layout
