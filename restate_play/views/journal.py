"""A journal as a tree, for the views drawn with rich (the live view, run's report, fix-demo); its
lines come from views/journal_text.py, which `invocations describe` prints without rich."""

from __future__ import annotations

from rich.tree import Tree

from restate_play.restate.journal import results_by_completion
from restate_play.restate.records import Invocation, JournalEntry
from restate_play.views.journal_text import command_line, invocation_heading, kept_from_original
from restate_play.views.styled import Styled, to_rich
from restate_play.views.values import short


def journal_tree(inv: Invocation, entries: list[JournalEntry], last_failure: bool = True) -> Tree:
    tree = Tree(to_rich(invocation_heading(inv)), guide_style="dim")
    results = results_by_completion(entries)
    for entry in entries:
        if entry.kind == "Command":
            line = command_line(entry, results.get(entry.completion_id) if entry.completion_id else None)
            if kept_from_original(inv, entry):
                line.append("  ↺ kept", style="cyan")
            tree.add(to_rich(line))
        elif entry.kind == "Notification" and entry.type == "Signal":
            t = Styled(f"#{entry.index:<3}⚡ Signal", style="bold cyan")
            if entry.value:
                t.append(f"  ⇒ {short(entry.value, 50)}", style="green")
            tree.add(to_rich(t))
        elif entry.kind not in ("Command", "Notification"):
            tree.add(to_rich(Styled(f"#{entry.index:<3}{entry.kind}: {entry.type}", style="dim")))
    if last_failure and inv.last_failure and inv.status != "completed":
        tree.add(to_rich(Styled(f"↻ retry {inv.retry_count}: {short(inv.last_failure, 90)}", style="red")))
        if inv.next_retry_at:
            tree.add(to_rich(Styled(f"  next attempt at {inv.next_retry_at[11:23]}", style="dim red")))
    if inv.status == "completed" and inv.completion_failure:
        tree.add(to_rich(Styled(f"✗ {short(inv.completion_failure, 90)}", style="red bold")))
    return tree
