"""Tables: invocations, state, world ledger, expectations."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from rich.console import Group
from rich.table import Table
from rich.text import Text

from restate_play.restate.records import Invocation, StateEntry
from restate_play.scenario.result import Check
from restate_play.views.journal import status_text
from restate_play.views.values import short, value_renderable
from restate_play.world.ledger import LedgerEntry


def invocation_table(invocations: Iterable[Invocation], title: str = "Invocations", compact: bool = False) -> Table:
    """`compact`: for a dashboard panel (~60 columns): the id's tail (as the ledger shows it), no creation time."""
    table = Table(title=title, title_justify="left", expand=False, show_edge=False, pad_edge=False)
    # One line per invocation: on a narrow terminal cells are cut with "…" rather than wrapped.
    table.add_column("id", style="dim", no_wrap=True, min_width=12)
    table.add_column("target", style="bold", no_wrap=True, min_width=14, overflow="ellipsis")
    table.add_column("status", no_wrap=True, min_width=9)
    table.add_column("journal", justify="right", no_wrap=True)
    if not compact:
        table.add_column("created", style="dim", no_wrap=True)
    table.add_column("result / last failure", no_wrap=True, overflow="ellipsis")
    for inv in invocations:
        outcome = inv.completion_failure or inv.last_failure or (inv.completion_result or "")
        created = [] if compact else [(inv.created_at or "")[11:23]]
        table.add_row(
            inv.id[-12:] if compact else inv.id,
            inv.target,
            status_text(inv),
            str(inv.journal_size),
            *created,
            short(outcome, 50),
        )
    return table


def state_table(entries: Iterable[StateEntry], title: str = "State") -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("service", style="magenta")
    table.add_column("key", style="bold")
    table.add_column("name")
    table.add_column("value")
    for e in entries:
        table.add_row(e.service, e.key, e.name, value_renderable(e.value))
    return table


def kv_table(service: str, key: str, entries: Iterable[StateEntry]) -> Group:
    """One object's state, like `restate kv get`: who it belongs to, then KEY / VALUE."""
    head = Text()
    head.append("Service  ", style="dim")
    head.append(f"{service}\n", style="bold magenta")
    head.append("Key      ", style="dim")
    head.append(key, style="bold")
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("KEY", style="bold")
    table.add_column("VALUE")
    for e in entries:
        table.add_row(e.name, value_renderable(e.value))
    return Group(head, Text(""), table)


def ledger_table(entries: Iterable[LedgerEntry], title: str = "World ledger (external actions)") -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    entries = list(entries)
    # In a narrow panel the args give way (cut with "…"); the sequence number and the action stay whole.
    seq_width = max((len(str(e.seq)) for e in entries), default=1)
    action_width = min(max((len(e.action) for e in entries), default=6), 24)
    table.add_column("#", justify="right", style="dim", no_wrap=True, min_width=seq_width)
    table.add_column("time", style="dim", no_wrap=True, min_width=12)
    table.add_column("action", style="bold yellow", no_wrap=True, min_width=action_width, overflow="ellipsis")
    table.add_column("args", no_wrap=True, overflow="ellipsis")
    table.add_column("invocation", style="dim", no_wrap=True, overflow="ellipsis")
    for e in entries:
        when = datetime.fromtimestamp(e.ts).strftime("%H:%M:%S.%f")[:-3]
        table.add_row(
            str(e.seq), when, e.action, short(json.dumps(e.args, ensure_ascii=False), 60), (e.invocation or "")[-12:]
        )
    return table


def checks_table(checks: Iterable[Check], title: str = "Expectations") -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("", width=2)
    table.add_column("step", justify="right", style="dim")
    table.add_column("expectation")
    table.add_column("observed", style="dim")
    for c in checks:
        mark = Text("✔", style="green bold") if c.passed else Text("✘", style="red bold")
        table.add_row(mark, str(c.step), Text(c.description), Text(short(c.detail, 70)))  # no markup in user text
    return table
