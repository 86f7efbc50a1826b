"""Styled text without rich: the lookups (`state get`, `invocations list|describe`) draw with it.

rich costs ~70 ms to import, more than a lookup's whole budget (issue #13: within 2× of the Restate
CLI). A `Styled` is a line of (text, style) spans, styles named as rich names them ("bold red",
"dim"); `to_rich` hands one to the live view, `ansi` writes one to a terminal.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Iterable

SGR = {
    "bold": "1",
    "dim": "2",
    "italic": "3",
    "underline": "4",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
    "white": "37",
}


class Styled:
    """A line of text in spans, each with a style ("" for none)."""

    __slots__ = ("spans",)

    def __init__(self, text: str = "", style: str = "") -> None:
        self.spans: list[tuple[str, str]] = [(text, style)] if text else []

    def append(self, text: str, style: str = "") -> Styled:
        if text:
            self.spans.append((text, style))
        return self

    def extend(self, other: Styled) -> Styled:
        self.spans.extend(other.spans)
        return self

    @property
    def plain(self) -> str:
        return "".join(text for text, _ in self.spans)

    def __len__(self) -> int:
        return cells(self.plain)

    def __str__(self) -> str:
        return self.plain

    def __repr__(self) -> str:
        return f"Styled({self.plain!r})"

    def rstrip(self) -> Styled:
        """Without trailing spaces (a table row's padding after its last cell)."""
        spans = list(self.spans)
        while spans and not spans[-1][0].rstrip():
            spans.pop()
        out = Styled()
        out.spans = spans[:-1] + [(spans[-1][0].rstrip(), spans[-1][1])] if spans else []
        return out

    def slice(self, start: int, end: int) -> Styled:
        """Characters start…end (string positions, not cells), styles kept."""
        out, at = Styled(), 0
        for text, style in self.spans:
            piece = text[max(0, start - at) : max(0, end - at)]
            out.append(piece, style)
            at += len(text)
        return out


def cells(text: str) -> int:
    """How many terminal cells `text` takes: wide characters (👁, CJK) take two."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def styled(text: str | Styled, style: str = "") -> Styled:
    return text if isinstance(text, Styled) else Styled(text, style)


def wrap(line: Styled, width: int) -> list[Styled]:
    """`line` in lines of at most `width` cells, broken at spaces (a word longer than that is cut)."""
    text = line.plain
    if cells(text) <= width:
        return [line]
    pieces, start = [], 0
    while start < len(text):
        end, used = start, 0
        while end < len(text) and used + cells(text[end]) <= width:  # one character's width at a time
            used += cells(text[end])
            end += 1
        if end < len(text):
            space = text.rfind(" ", start, end + 1)
            end = space if space > start else max(end, start + 1)
        pieces.append(line.slice(start, end))
        start = end + 1 if end < len(text) and text[end] == " " else end
    return pieces


def pad(line: Styled, width: int, right: bool = False) -> Styled:
    room = " " * max(0, width - len(line))
    return Styled(room).extend(line) if right else Styled().extend(line).append(room)


def color_wanted(stream=None) -> bool:
    """Colours on a terminal, as rich decides: NO_COLOR turns them off, FORCE_COLOR on."""
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty() and os.environ.get("TERM") != "dumb"


def terminal_width(stream=None) -> int:
    """The width to draw at: $COLUMNS, else the terminal's, else 80 (a pipe), as rich does."""
    stream = stream or sys.stdout
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(stream.fileno()).columns if stream.isatty() else 80
    except (OSError, ValueError, AttributeError):
        return 80


def ansi(line: Styled, color: bool) -> str:
    if not color:
        return line.plain
    out = []
    for text, style in line.spans:
        codes = ";".join(SGR[word] for word in style.split() if word in SGR)
        out.append(f"\x1b[{codes}m{text}\x1b[0m" if codes else text)
    return "".join(out)


def emit(lines: Iterable[Styled | str], stream=None) -> None:
    """Write whole lines (never broken by us: the terminal soft-wraps what is wider than it)."""
    stream = stream or sys.stdout
    color = color_wanted(stream)
    stream.write("".join(ansi(styled(line), color) + "\n" for line in lines))
    stream.flush()


def to_rich(line: Styled):
    """The same line as a rich Text, for the views drawn with rich (the live view, run's report)."""
    from rich.text import Text

    text = Text()
    for piece, style in line.spans:
        text.append(piece, style=style or None)
    return text
