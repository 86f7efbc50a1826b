"""Tables: invocations, state, world ledger, expectations."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from restate_play.restate.records import Invocation, StateEntry
from restate_play.views.journal import status_text
from restate_play.views.values import short, value_renderable

if TYPE_CHECKING:  # not imported at run time: `state get` and `invocations list` load only what they draw
    from restate_play.scenario.result import Check
    from restate_play.world.ledger import LedgerEntry

SHORT_ID = 12  # "inv_" and 8 characters, longer only where two shown ids share them


def short_ids(ids: Sequence[str], least: int = SHORT_ID) -> dict[str, str]:
    """Each id's shortest prefix of at least `least` characters that no other id here starts with,
    as git shows hashes: whole characters, no "…", so it can be pasted back into a command."""
    unique = set(ids)
    shown = {}
    for one in unique:
        n = least
        while n < len(one) and any(other != one and other.startswith(one[:n]) for other in unique):
            n += 1
        shown[one] = one[:n]
    return shown


def natural_width(console: Console, renderable: RenderableType) -> int:
    """The width a renderable takes when nothing is cut (for --wide: print it that wide, uncropped)."""
    from rich.measure import Measurement

    return Measurement.get(console, console.options.update_width(100_000), renderable).maximum


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


def _plain(cell: str | Text) -> str:
    return cell if isinstance(cell, str) else cell.plain


def _natural(header: str, cells: Iterable[str], cap: int) -> int:
    return min(max([len(header), *(len(c) for c in cells)]), cap)


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


def invocation_table(invocations: Iterable[Invocation], title: str = "Invocations", width: int | None = None) -> Table:
    """Every column, whole; with `width` (a dashboard panel's room), the columns that fit, ids as
    short unique prefixes."""
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
        ids = short_ids([r[0] for r in rows])
        for r in rows:
            r[0] = ids[r[0]]
        id_width = max([SHORT_ID, *(len(r[0]) for r in rows)])
        columns = [
            Fit("id", id_width, id_width, 1),
            Fit("target", _natural("target", (i.target for i in invocations), 40), 12, 6),
            Fit("status", _natural("status", statuses, 16), min(9, _natural("status", statuses, 16)), 5),
            Fit("journal", 7, 7, 3),
            Fit("created", 12, 12, 0),
            Fit("result / last failure", _natural("result / last failure", (r[5] for r in rows), 50), 10, 2),
        ]
        styles = {"id": "dim", "target": "bold", "created": "dim"}
        return _fitted_table(title, width, columns, styles, rows)
    return invocation_listing(invocations, title, None, wide=True)


def invocation_listing(invocations: Iterable[Invocation], title: str, room: int | None, wide: bool = False) -> Table:
    """`invocations list`: one line per invocation; ids as short unique prefixes (whole with `wide`);
    columns with nothing in them left out. In `room` columns, the least useful columns go first, and
    ids, targets and statuses are never cut; only the result may be shortened, with "…"."""
    invocations = list(invocations)
    ids = {i.id: i.id for i in invocations} if wide else short_ids([i.id for i in invocations])
    rows = [
        [
            ids[inv.id],
            inv.target,
            status_text(inv),
            str(inv.journal_size),
            (inv.created_at or "")[11:23],
            short(inv.completion_failure or inv.last_failure or (inv.completion_result or ""), 10_000 if wide else 60),
        ]
        for inv in invocations
    ]
    headers = ["id", "target", "status", "journal", "created", "outcome"]
    keep = [10, 8, 9, 3, 2, 5]
    columns = []
    for n, header in enumerate(headers):
        cells = [_plain(r[n]) for r in rows]
        if not any(c.strip() for c in cells):
            continue  # nothing to show: no empty column
        natural = max(len(header), *(len(c) for c in cells))
        columns.append(Fit(header, natural, max(len(header), min(natural, 12)) if n == 5 else natural, keep[n]))
    picked = [headers.index(c.header) for c in columns]
    rows = [[r[n] for n in picked] for r in rows]
    room = 100_000 if wide or room is None else room
    widths = fit_widths(room, columns)
    if not {"id", "status", "target"} <= set(widths):  # rather than drop one, break long targets after a "/"
        pieces = max(len(piece) for r in rows for piece in _at_slashes(_plain(r[picked.index(1)])))
        columns = [replace(c, least=max(len(c.header), pieces)) if c.header == "target" else c for c in columns]
        widths = fit_widths(room, columns)
    if "target" in widths:  # a long target goes on two lines, broken after a "/", never inside a name
        at = [c.header for c in columns].index("target")
        for r in rows:
            r[at] = _wrapped(r[at], widths["target"])
    styles = {"id": "dim", "target": "bold", "created": "dim"}
    return _fitted_table(title, 0, columns, styles, rows, widths)


def _at_slashes(target: str) -> list[str]:
    """A target's pieces, each ending with its "/": where it may be broken across lines."""
    return re.findall(r"[^/]*/|[^/]+$", target) or [target]


def _wrapped(target: str, width: int) -> str:
    lines = [""]
    for piece in _at_slashes(target):
        if lines[-1] and len(lines[-1]) + len(piece) > width:
            lines.append("")
        lines[-1] += piece
    return "\n".join(lines)


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


def kv_table(service: str, key: str, entries: Iterable[StateEntry], wide: bool = False) -> Group:
    """One object's state, like `restate kv get`: who it belongs to, then KEY / VALUE (JSON
    pretty-printed; with `wide`, each value on one line, whole)."""
    head = Text()
    head.append("Service  ", style="dim")
    head.append(f"{service}\n", style="bold magenta")
    head.append("Key      ", style="dim")
    head.append(key, style="bold")
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("KEY", style="bold", no_wrap=True, overflow="fold")
    table.add_column("VALUE", no_wrap=wide)
    for e in entries:
        table.add_row(e.name, Text(e.value if e.value is not None else "∅") if wide else value_renderable(e.value))
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
