"""`invocations list` and `state get` as lines of text, without rich (see views/styled.py for why)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from restate_play.restate.records import Invocation, StateEntry
from restate_play.views.status import status_text
from restate_play.views.styled import Styled, wrap
from restate_play.views.text_table import (
    GAP,
    Column,
    Fit,
    at_slashes,
    fit_widths,
    short_ids,
    text_table,
    wrapped_target,
)
from restate_play.views.values import short

HEADERS = ("id", "target", "status", "journal", "created", "outcome")
KEEP = (10, 8, 9, 3, 2, 5)  # which columns go first when the room is short: the lowest
TARGET_WHOLE = 40  # when targets must be broken, those up to this long still are not
STYLES = {"id": "dim", "target": "bold", "created": "dim"}


def invocation_cells(inv: Invocation, shown_id: str, outcome_width: int) -> list[str | Styled]:
    """One invocation's cells, in HEADERS' order (the live view's panel draws the same ones)."""
    outcome = inv.completion_failure or inv.last_failure or (inv.completion_result or "")
    created = (inv.created_at or "")[11:23]
    return [shown_id, inv.target, status_text(inv), str(inv.journal_size), created, short(outcome, outcome_width)]


def _rows(invocations: list[Invocation], wide: bool) -> list[list[str | Styled]]:
    ids = {i.id: i.id for i in invocations} if wide else short_ids([i.id for i in invocations])
    return [invocation_cells(inv, ids[inv.id], 10_000 if wide else 60) for inv in invocations]


def invocation_lines(invocations: Iterable[Invocation], title: str, room: int, wide: bool = False) -> list[Styled]:
    """One line per invocation; ids as short unique prefixes (whole with `wide`); columns with nothing
    in them left out. In `room` columns the least useful columns go first, and ids, targets and
    statuses are never cut: a long target breaks after a "/"; only the outcome is cut, with "…"."""
    rows = _rows(list(invocations), wide)
    fits = []
    for n, header in enumerate(HEADERS):
        cells = [str(r[n]) for r in rows]
        if not any(c.strip() for c in cells):
            continue  # nothing to show: no empty column
        widest = max(len(header), *(len(c) for c in cells))
        fits.append(Fit(header, widest, max(len(header), min(widest, 12)) if header == "outcome" else widest, KEEP[n]))
    picked = [HEADERS.index(f.header) for f in fits]
    rows = [[r[n] for n in picked] for r in rows]
    room = 1_000_000 if wide else room
    widths = fit_widths(room, fits, GAP)
    if not {"id", "status", "target"} <= set(widths) and "target" in [f.header for f in fits]:
        at = [f.header for f in fits].index("target")  # rather than drop one, break long targets after a "/"
        pieces = max(len(piece) for r in rows for piece in at_slashes(str(r[at])))
        least = max(len("target"), pieces, min(fits[at].natural, TARGET_WHOLE))  # most targets stay whole
        fits[at] = Fit("target", fits[at].natural, least, fits[at].keep)
        widths = fit_widths(room, fits, GAP)
    shown = [n for n, f in enumerate(fits) if f.header in widths]
    if "target" in widths:
        at = [f.header for f in fits].index("target")
        for r in rows:
            r[at] = wrapped_target(str(r[at]), widths["target"])
    columns = [
        Column(fits[n].header, widths[fits[n].header], fits[n].header == "journal", STYLES.get(fits[n].header, ""))
        for n in shown
    ]
    return text_table(columns, ([r[n] for n in shown] for r in rows), title)


def _value_lines(value: str | None, wide: bool) -> list[str]:
    """A state value: JSON pretty-printed (on one line with `wide`), text as it is, ∅ for none."""
    if value is None:
        return ["∅"]
    try:
        parsed = json.loads(value)
    except (json.JSONDecodeError, TypeError):
        return [value] if wide else value.split("\n")
    return [value] if wide else json.dumps(parsed, indent=2, ensure_ascii=False).split("\n")


def kv_lines(service: str, key: str, entries: Iterable[StateEntry], width: int, wide: bool = False) -> list[Styled]:
    """One object's state, like `restate kv get`: who it belongs to, then KEY / VALUE (JSON
    pretty-printed; with `wide`, each value on one line, whole)."""
    entries = list(entries)
    head = [Styled("Service  ", "dim").append(service, "bold magenta"), Styled("Key      ", "dim").append(key, "bold")]
    key_width = max([3, *(len(e.name) for e in entries)])
    room = 1_000_000 if wide else max(20, width - key_width - GAP)
    rows = []
    for e in entries:
        lines = [part for line in _value_lines(e.value, wide) for part in wrap(Styled(line), room)]
        rows.append([Styled(e.name, "bold"), "\n".join(p.plain for p in lines)])
    value_width = max([5, *(len(part) for _, cell in rows for part in str(cell).split("\n"))])
    return [*head, Styled(), *text_table([Column("KEY", key_width), Column("VALUE", min(value_width, room))], rows)]
