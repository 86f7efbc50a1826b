"""Tables as lines of styled text (no rich): column fitting, short ids, long targets broken at "/".

The fitting here is shared: the live view's rich tables (views/tables.py) take their widths from
`fit_widths` too; the lookups draw with `text_table`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from restate_play.views.styled import Styled, pad, styled

SHORT_ID = 12  # "inv_" and 8 characters, longer only where two shown ids share them
GAP = 2  # spaces between two columns of a text table


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


class Fit(NamedTuple):
    """A column of a table drawn in a fixed room."""

    header: str
    natural: int  # the width its widest cell (or header) wants
    least: int  # the narrowest it is worth showing at (cells are cut with "…")
    keep: int  # when room is short, the columns with the lowest `keep` are dropped first


def fit_widths(room: int, columns: list[Fit], gap: int = 3) -> dict[str, int]:
    """Widths of the columns shown in `room` (`gap` characters between two columns): the least kept
    are dropped until the rest fit at their least width; spare room widens them, most kept first.
    rich would instead squeeze columns, some to nothing, when a table is wider than its room."""
    shown = sorted(columns, key=lambda c: -c.keep)
    while len(shown) > 1 and sum(c.least for c in shown) + gap * (len(shown) - 1) > room:
        shown.pop()
    spare = room - sum(c.least for c in shown) - gap * (len(shown) - 1)
    widths = {c.header: c.least for c in shown}
    for c in shown:
        extra = max(0, min(spare, c.natural - c.least))
        widths[c.header] += extra
        spare -= extra
    return widths


def natural(header: str, cells: Iterable[str], cap: int) -> int:
    return min(max([len(header), *(len(c) for c in cells)]), cap)


def at_slashes(target: str) -> list[str]:
    """A target's pieces, each ending with its "/": where it may be broken across lines."""
    return re.findall(r"[^/]*/|[^/]+$", target) or [target]


def wrapped_target(target: str, width: int) -> str:
    lines = [""]
    for piece in at_slashes(target):
        if lines[-1] and len(lines[-1]) + len(piece) > width:
            lines.append("")
        lines[-1] += piece
    return "\n".join(lines)


class Column(NamedTuple):
    header: str
    width: int
    right: bool = False
    style: str = ""  # for the cells given as plain strings


def _clip(cell: Styled, width: int) -> Styled:
    if len(cell) <= width:
        return cell
    return cell.slice(0, max(0, width - 1)).append("…", "dim")


def _cell_lines(cell: str | Styled, column: Column) -> list[Styled]:
    if isinstance(cell, Styled):
        return [cell]
    return [Styled(part, column.style) for part in cell.split("\n")]


def text_table(columns: list[Column], rows: Iterable[Sequence[str | Styled]], title: str = "") -> list[Styled]:
    """The title, a header, a rule, then each row (a cell with "\\n" in it takes several lines);
    columns `GAP` spaces apart, cells longer than their column cut with "…"."""
    lines = [Styled(title, "italic")] if title else []
    head, rule = Styled(), Styled()
    for n, column in enumerate(columns):
        sep = " " * GAP if n else ""
        head.append(sep).extend(pad(Styled(column.header, "bold"), column.width, column.right))
        rule.append(sep + "─" * column.width, "dim")
    lines += [head.rstrip(), rule]
    for row in rows:
        cells = [_cell_lines(cell, column) for cell, column in zip(row, columns, strict=True)]
        for k in range(max(len(c) for c in cells)):
            line = Styled()
            for n, (column, parts) in enumerate(zip(columns, cells, strict=True)):
                part = parts[k] if k < len(parts) else Styled()
                cell = pad(_clip(styled(part), column.width), column.width, column.right)
                line.append(" " * GAP if n else "").extend(cell)
            lines.append(line.rstrip())
    return lines
