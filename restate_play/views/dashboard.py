"""The live dashboard of a run: narration and journals on the left, tables on the right."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.layout import Layout
from rich.panel import Panel
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
) -> Layout:
    """`height`: the terminal's; panels show the newest lines that fit, one line per event."""
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
    layout["journals"].update(Panel(journals_group(invocations, journals), title="Journals", border_style="cyan"))
    layout["invocations"].update(Panel(invocation_table(list(invocations)[-8:], title=""), title="Invocations"))
    layout["state"].update(Panel(state_table(state, title=""), title="State (K/V)"))
    rows = max(2, (height - 2) * 2 // 7 - 5)
    layout["ledger"].update(Panel(ledger_table(list(ledger)[-rows:], title=""), title="World ledger"))
    log_rows = max(1, (height - 2) // 7 - 2)
    log = Text("\n".join(service_log[-log_rows:]), style="dim", no_wrap=True, overflow="ellipsis")
    layout["log"].update(Panel(log, title="Service log"))
    return layout
