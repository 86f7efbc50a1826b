"""A journal as a tree, like `restate invocations describe`, with results folded into commands."""

from __future__ import annotations

from rich.text import Text
from rich.tree import Tree

from restate_play.restate.journal import results_by_completion
from restate_play.restate.records import Invocation, JournalEntry
from restate_play.views.values import short

STATUS_STYLE = {
    "completed": "green",
    "running": "yellow",
    "backing-off": "red",
    "paused": "red",
    "suspended": "cyan",
    "scheduled": "magenta",
    "pending": "blue",
    "ready": "blue",
    "inboxed": "blue",
}

ICON = {
    "Run": "⚙",
    "Sleep": "⏱",
    "Call": "→",
    "OneWayCall": "↗",
    "SetState": "✎",
    "GetState": "👁",
    "GetEagerState": "👁",
    "ClearState": "✗",
    "Input": "▶",
    "Output": "◀",
    "Awakeable": "⏳",
    "CompleteAwakeable": "✉",
    "GetPromise": "⏳",
    "PeekPromise": "👁",
    "CompletePromise": "✉",
    "Signal": "⚡",
}


def status_text(inv: Invocation) -> Text:
    text = Text(inv.status, style=STATUS_STYLE.get(inv.status, "white"))
    if inv.status == "completed" and inv.completion_result == "failure":
        text = Text("failed", style="red bold")
    if inv.retry_count:
        text.append(f" ↻{inv.retry_count}", style="red")
    return text


def invocation_heading(inv: Invocation) -> Text:
    head = Text()
    head.append(inv.target, style="bold")
    head.append("  ")
    head.append(inv.id, style="dim")
    head.append("  ")
    head.append_text(status_text(inv))
    return head


def _command_line(entry: JournalEntry, result: JournalEntry | None) -> Text:
    line = Text()
    line.append(f"#{entry.index:<3}", style="dim")
    line.append(f"{ICON.get(entry.type, '•')} {entry.type}", style="bold cyan")
    if entry.name:
        line.append(f" [{entry.name}]", style="bold")
    if "target" in entry.detail:
        line.append(f" {entry.detail['target']}", style="magenta")
    if "key" in entry.detail:
        line.append(f" {entry.detail['key']}", style="magenta")
    if entry.type in ("Input", "SetState", "Call", "OneWayCall") and entry.value:
        line.append(f" {short(entry.value, 50)}", style="white")
    if "wake_up_at" in entry.detail and entry.detail["wake_up_at"]:
        line.append(f" until {entry.detail['wake_up_at'][11:23]}", style="dim")
    if "invoke_at" in entry.detail:
        line.append(f" at {entry.detail['invoke_at'][11:23]}", style="dim")
    outcome = result or (entry if entry.type in ("Output", "CompleteAwakeable") else None)
    if outcome is not None and outcome.result == "failure":
        line.append(f"  ✗ {short(outcome.failure, 60)}", style="red")
    elif outcome is not None and outcome.value not in (None, "") and entry.type not in ("SetState", "Input"):
        line.append(f"  ⇒ {short(outcome.value, 50)}", style="green")
    elif entry.completed and entry.type not in ("Input", "SetState", "ClearState", "OneWayCall"):
        line.append("  ✓", style="green")
    elif not entry.completed:
        line.append("  … pending", style="yellow")
    return line


def journal_tree(inv: Invocation, entries: list[JournalEntry], last_failure: bool = True) -> Tree:
    tree = Tree(invocation_heading(inv), guide_style="dim")
    results = results_by_completion(entries)
    for entry in entries:
        if entry.kind == "Command":
            tree.add(_command_line(entry, results.get(entry.completion_id) if entry.completion_id else None))
        elif entry.kind == "Notification" and entry.type == "Signal":
            t = Text(f"#{entry.index:<3}⚡ Signal", style="bold cyan")
            if entry.value:
                t.append(f"  ⇒ {short(entry.value, 50)}", style="green")
            tree.add(t)
        elif entry.kind not in ("Command", "Notification"):
            tree.add(Text(f"#{entry.index:<3}{entry.kind}: {entry.type}", style="dim"))
    if last_failure and inv.last_failure and inv.status != "completed":
        tree.add(Text(f"↻ retry {inv.retry_count}: {short(inv.last_failure, 90)}", style="red"))
        if inv.next_retry_at:
            tree.add(Text(f"  next attempt at {inv.next_retry_at[11:23]}", style="dim red"))
    if inv.status == "completed" and inv.completion_failure:
        tree.add(Text(f"✗ {short(inv.completion_failure, 90)}", style="red bold"))
    return tree
