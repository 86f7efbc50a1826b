"""Tables: invocations, state, world ledger, expectations."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from rich.console import Group
from rich.table import Table
from rich.text import Text

from restate_play.restate.records import Invocation, StateEntry
from restate_play.scenario.result import Check
from restate_play.views.journal import status_text
from restate_play.views.values import short, value_renderable
from restate_play.world.ledger import LedgerEntry


@dataclass(frozen=True)
class Fit:
    """A column of a table drawn in a fixed room (a dashboard panel)."""

    header: str
    natural: int  # the width its widest cell (or header) wants
    least: int  # the narrowest it is worth showing at (cells are cut with "…")
    keep: int  # when room is short, the columns with the lowest `keep` are dropped first


def fit_widths(room: int, columns: list[Fit]) -> dict[str, int]:
    """Widths of the columns shown in `room` (3 characters between two columns): the least kept are
    dropped until the rest fit at their least width; spare room widens them, most kept first.
    rich would instead squeeze columns, some to nothing, when a table is wider than its room."""
    shown = sorted(columns, key=lambda c: -c.keep)
    while len(shown) > 1 and sum(c.least for c in shown) + 3 * (len(shown) - 1) > room:
        shown.pop()
    spare = room - sum(c.least for c in shown) - 3 * (len(shown) - 1)
    widths = {c.header: c.least for c in shown}
    for c in shown:
        extra = max(0, min(spare, c.natural - c.least))
        widths[c.header] += extra
        spare -= extra
    return widths


def _natural(header: str, cells: Iterable[str], cap: int) -> int:
    return min(max([len(header), *(len(c) for c in cells)]), cap)


def _fitted_table(title: str, room: int, columns: list[Fit], styles: dict[str, str], rows: list[list]) -> Table:
    """A table of the columns that fit; `rows` hold a cell for every column of `columns`, in order."""
    widths = fit_widths(room, columns)
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    picked = [i for i, c in enumerate(columns) if c.header in widths]
    for i in picked:
        header = columns[i].header
        justify = "right" if header in ("#", "journal") else "left"
        table.add_column(
            header,
            style=styles.get(header, ""),
            width=widths[header],
            no_wrap=True,
            overflow="ellipsis",
            justify=justify,
        )
    for row in rows:
        table.add_row(*(row[i] for i in picked))
    return table


def invocation_table(invocations: Iterable[Invocation], title: str = "Invocations", width: int | None = None) -> Table:
    """Every column in a full terminal; with `width` (a dashboard panel's room), the columns that
    fit, the id's tail as the ledger shows it."""
    invocations = list(invocations)
    rows = []
    for inv in invocations:
        outcome = inv.completion_failure or inv.last_failure or (inv.completion_result or "")
        rows.append(
            [
                inv.id,
                inv.target,
                status_text(inv),
                str(inv.journal_size),
                (inv.created_at or "")[11:23],
                short(outcome, 50),
            ]
        )
    if width is not None:
        statuses = [r[2].plain for r in rows]
        columns = [
            Fit("id", 12, 12, 1),
            Fit("target", _natural("target", (i.target for i in invocations), 40), 12, 6),
            Fit("status", _natural("status", statuses, 16), min(9, _natural("status", statuses, 16)), 5),
            Fit("journal", 7, 7, 3),
            Fit("created", 12, 12, 0),
            Fit("result / last failure", _natural("result / last failure", (r[5] for r in rows), 50), 10, 2),
        ]
        for r in rows:
            r[0] = r[0][-12:]
        styles = {"id": "dim", "target": "bold", "created": "dim"}
        return _fitted_table(title, width, columns, styles, rows)
    table = Table(title=title, title_justify="left", expand=False, show_edge=False, pad_edge=False)
    # One line per invocation: on a narrow terminal cells are cut with "…" rather than wrapped.
    table.add_column("id", style="dim", no_wrap=True, min_width=12)
    table.add_column("target", style="bold", no_wrap=True, min_width=14, overflow="ellipsis")
    table.add_column("status", no_wrap=True, min_width=9)
    table.add_column("journal", justify="right", no_wrap=True)
    table.add_column("created", style="dim", no_wrap=True)
    table.add_column("result / last failure", no_wrap=True, overflow="ellipsis")
    for row in rows:
        table.add_row(*row)
    return table


def state_table(entries: Iterable[StateEntry], title: str = "State", width: int | None = None) -> Table:
    """JSON values pretty-printed in a full terminal; with `width` (a dashboard panel's room), one
    line per entry and the columns that fit."""
    entries = list(entries)
    if width is not None:
        keys, names = [e.key for e in entries], [e.name for e in entries]
        values = [e.value if e.value is not None else "∅" for e in entries]
        columns = [
            Fit("service", _natural("service", (e.service for e in entries), 16), 7, 1),
            Fit("key", _natural("key", keys, 24), min(8, _natural("key", keys, 24)), 5),
            Fit("name", _natural("name", names, 20), min(8, _natural("name", names, 20)), 4),
            Fit("value", _natural("value", values, 60), 6, 6),
        ]
        rows = [[e.service, e.key, e.name, v] for e, v in zip(entries, values, strict=True)]
        return _fitted_table(title, width, columns, {"service": "magenta", "key": "bold"}, rows)
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


def ledger_table(
    entries: Iterable[LedgerEntry], title: str = "World ledger (external actions)", width: int | None = None
) -> Table:
    """`width`: a dashboard panel's room: the columns that fit (the sequence number and action stay)."""
    entries = list(entries)
    rows = [
        [
            str(e.seq),
            datetime.fromtimestamp(e.ts).strftime("%H:%M:%S.%f")[:-3],
            e.action,
            short(json.dumps(e.args, ensure_ascii=False), 60),
            (e.invocation or "")[-12:],
        ]
        for e in entries
    ]
    styles = {"#": "dim", "time": "dim", "action": "bold yellow", "invocation": "dim"}
    if width is not None:
        columns = [
            Fit("#", _natural("#", (r[0] for r in rows), 8), _natural("#", (r[0] for r in rows), 8), 6),
            Fit("time", 12, 12, 2),
            Fit(
                "action",
                _natural("action", (r[2] for r in rows), 24),
                min(10, _natural("action", (r[2] for r in rows), 24)),
                5,
            ),
            Fit("args", _natural("args", (r[3] for r in rows), 60), 10, 3),
            Fit("invocation", 12, 12, 1),
        ]
        return _fitted_table(title, width, columns, styles, rows)
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for header in ("#", "time", "action", "args", "invocation"):
        table.add_column(
            header, style=styles.get(header, ""), no_wrap=True, justify="right" if header == "#" else "left"
        )
    for row in rows:
        table.add_row(*row)
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
