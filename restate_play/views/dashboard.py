"""The live dashboard of a run: narration and journals on the left, tables on the right."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.layout import Layout
from rich.panel import Panel
from rich.segment import Segment
from rich.text import Text

from restate_play.restate.records import Invocation, JournalEntry, StateEntry
from restate_play.views.journal import journal_tree
from restate_play.views.tables import invocation_table, ledger_table, state_table
from restate_play.world.ledger import LedgerEntry


def journals_group(
    invocations: Sequence[Invocation], journals: dict[str, list[JournalEntry]], limit: int = 4
) -> RenderableType:
    shown = [inv for inv in invocations if inv.id in journals][-limit:]
    if not shown:
        return Text("no invocations yet", style="dim")
    return Group(*(journal_tree(inv, journals[inv.id]) for inv in shown))


class Reused:
    """A panel drawn once per content and size; the frames where it did not change reuse its lines.

    Laying out rich tables (measuring every column) is most of a frame's cost, and between two
    frames most panels show the same thing. `cache` (one slot per panel name) keeps the last lines.
    """

    def __init__(self, cache: dict[str, Any], name: str, key: Hashable, build: Callable[[], RenderableType]):
        self.cache, self.name, self.key, self.build = cache, name, key, build

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        wanted = (self.key, options.max_width, options.height)
        slot = self.cache.get(self.name)
        if slot is None or slot[0] != wanted:
            slot = self.cache[self.name] = (wanted, console.render_lines(self.build(), options, pad=True))
        new_line = Segment.line()
        for line in slot[1]:
            yield from line
            yield new_line


class FitWidth:
    """Builds its content for the width it is given at render time (a panel's inside)."""

    def __init__(self, build: Callable[[int], RenderableType]):
        self.build = build

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.build(options.max_width)


def dashboard(
    title: str,
    events: Sequence[str],
    invocations: Sequence[Invocation],
    journals: dict[str, list[JournalEntry]],
    state: Sequence[StateEntry],
    ledger: Sequence[LedgerEntry],
    service_log: Sequence[str],
    footer: str = "",
    height: int = 50,
    cache: dict[str, Any] | None = None,
) -> Layout:
    """`height`: the terminal's; panels show the newest lines that fit, one line per event.

    `cache`: kept by the caller from frame to frame, so unchanged panels are not laid out again.
    """
    cache = {} if cache is None else cache
    layout = Layout()
    layout.split_column(Layout(name="head", size=1), Layout(name="body"), Layout(name="foot", size=1))
    layout["head"].update(Text(title, style="bold white on blue"))
    layout["foot"].update(Text(footer, style="dim"))
    layout["body"].split_row(Layout(name="left", ratio=3), Layout(name="right", ratio=2))
    layout["left"].split_column(Layout(name="events", ratio=2), Layout(name="journals", ratio=3))
    layout["right"].split_column(
        Layout(name="invocations", ratio=2),
        Layout(name="state", ratio=2),
        Layout(name="ledger", ratio=2),
        Layout(name="log", ratio=1),
    )
    event_rows = max(3, (height - 2) * 2 // 5 - 2)
    shown_events = Text("\n".join(events[-event_rows:]), no_wrap=True, overflow="ellipsis")
    layout["events"].update(Panel(shown_events, title="Scenario", border_style="blue"))
    # Keys name what a panel shows: the records are frozen (hashable), journals only ever grow.
    journal_key = tuple((inv, len(journals.get(inv.id, ()))) for inv in invocations)
    layout["journals"].update(
        Reused(
            cache,
            "journals",
            journal_key,
            lambda: Panel(journals_group(invocations, journals), title="Journals", border_style="cyan"),
        )
    )
    recent = tuple(invocations)[-8:]
    layout["invocations"].update(
        Reused(
            cache,
            "invocations",
            recent,
            lambda: Panel(FitWidth(lambda w: invocation_table(recent, title="", width=w)), title="Invocations"),
        )
    )
    states = tuple(state)
    layout["state"].update(
        Reused(
            cache,
            "state",
            states,
            lambda: Panel(FitWidth(lambda w: state_table(states, title="", width=w)), title="State (K/V)"),
        )
    )
    rows = max(2, (height - 2) * 2 // 7 - 5)
    lines = tuple(ledger)[-rows:]
    layout["ledger"].update(
        Reused(
            cache,
            "ledger",
            tuple(e.seq for e in lines),
            lambda: Panel(FitWidth(lambda w: ledger_table(lines, title="", width=w)), title="World ledger"),
        )
    )
    log_rows = max(1, (height - 2) // 7 - 2)
    log = Text("\n".join(service_log[-log_rows:]), style="dim", no_wrap=True, overflow="ellipsis")
    layout["log"].update(Panel(log, title="Service log"))
    return layout
