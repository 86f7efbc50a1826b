"""Tables: invocations, state, world ledger, expectations."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from restate_play.restate.records import Invocation, StateEntry
from restate_play.views.lookups import invocation_cells
from restate_play.views.styled import to_rich
from restate_play.views.text_table import SHORT_ID, Fit, fit_widths, natural, short_ids
from restate_play.views.values import short, value_renderable

if TYPE_CHECKING:  # not imported at run time: `state get` and `invocations list` load only what they draw
    from restate_play.scenario.result import Check
    from restate_play.world.ledger import LedgerEntry


def natural_width(console: Console, renderable: RenderableType) -> int:
    """The width a renderable takes when nothing is cut (for --wide: print it that wide, uncropped)."""
    from rich.measure import Measurement

    return Measurement.get(console, console.options.update_width(100_000), renderable).maximum


def _fitted_table(
    title: str,
    room: int,
    columns: list[Fit],
    styles: dict[str, str],
    rows: list[list],
    widths: dict[str, int] | None = None,
) -> Table:
    """A table of the columns that fit; `rows` hold a cell for every column of `columns`, in order."""
    widths = widths or fit_widths(room, columns)
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


def invocation_table(invocations: Iterable[Invocation], title: str = "Invocations", *, width: int) -> Table:
    """The live view's panel: the columns that fit in `width`, ids as short unique prefixes."""
    invocations = list(invocations)
    ids = short_ids([i.id for i in invocations])
    rows = [invocation_cells(inv, ids[inv.id], 50) for inv in invocations]
    for r in rows:
        r[2] = to_rich(r[2])
    statuses = [r[2].plain for r in rows]
    id_width = max([SHORT_ID, *(len(r[0]) for r in rows)])
    columns = [
        Fit("id", id_width, id_width, 1),
        Fit("target", natural("target", (i.target for i in invocations), 40), 12, 6),
        Fit("status", natural("status", statuses, 16), min(9, natural("status", statuses, 16)), 5),
        Fit("journal", 7, 7, 3),
        Fit("created", 12, 12, 0),
        Fit("result / last failure", natural("result / last failure", (r[5] for r in rows), 50), 10, 2),
    ]
    styles = {"id": "dim", "target": "bold", "created": "dim"}
    return _fitted_table(title, width, columns, styles, rows)


def state_table(entries: Iterable[StateEntry], title: str = "State", width: int | None = None) -> Table:
    """JSON values pretty-printed in a full terminal; with `width` (a dashboard panel's room), one
    line per entry and the columns that fit."""
    entries = list(entries)
    if width is not None:
        keys, names = [e.key for e in entries], [e.name for e in entries]
        values = [e.value if e.value is not None else "∅" for e in entries]
        columns = [
            Fit("service", natural("service", (e.service for e in entries), 16), 7, 1),
            Fit("key", natural("key", keys, 24), min(8, natural("key", keys, 24)), 5),
            Fit("name", natural("name", names, 20), min(8, natural("name", names, 20)), 4),
            Fit("value", natural("value", values, 60), 6, 6),
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
            Fit("#", natural("#", (r[0] for r in rows), 8), natural("#", (r[0] for r in rows), 8), 6),
            Fit("time", 12, 12, 2),
            Fit(
                "action",
                natural("action", (r[2] for r in rows), 24),
                min(10, natural("action", (r[2] for r in rows), 24)),
                5,
            ),
            Fit("args", natural("args", (r[3] for r in rows), 60), 10, 3),
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
