"""Waiting for a journal entry, and saying in words what an invocation is doing.

Shared by the scenario runner (`crash` with `after_entry`) and the pytest plugin
(`restate.crash_service(after_entry=…)`): one definition of "the step is journaled".
"""

from __future__ import annotations

from restate_play.restate.introspection import Introspection
from restate_play.restate.records import JournalEntry
from restate_play.scenario import stuck
from restate_play.waiting import WaitTimeout, eventually_async


def entry_done(entries: list[JournalEntry], name: str) -> bool:
    """A command named `name` (a step name like 'Book car', or a type like 'Sleep') has its result journaled."""
    return any(e.kind == "Command" and (e.name == name or e.type == name) and e.completed for e in entries)


async def describe_invocation(sql: Introspection, inv_id: str | None) -> str:
    """In words: what the invocation is doing (for a wait that ran out)."""
    inv = await sql.invocation(inv_id) if inv_id else None
    if inv is None:
        return stuck.describe(None)
    return stuck.describe(inv, await sql.journal(inv.id), await sql.journal_events(inv.id))


async def wait_for_entry(sql: Introspection, inv_id: str, name: str, timeout: float) -> tuple[bool, str]:
    """(seen, why not): stops early when the invocation ends without reaching the entry."""

    async def reached() -> tuple[bool, str] | None:
        # The invocation first: when it was done before the journal was read, that journal is final.
        inv = await sql.invocation(inv_id)
        entries = await sql.journal(inv_id)
        if entry_done(entries, name):
            return True, ""
        if inv is not None and inv.done:
            steps = [f"'{e.name or e.type}'" for e in entries if e.kind == "Command"]
            return (
                False,
                f"it ended ({inv.status}) without it; its journal's steps: {', '.join(dict.fromkeys(steps)) or 'none'}",
            )
        return None

    try:
        return await eventually_async(reached, what=f"'{name}' in {inv_id}'s journal", timeout=timeout, interval=0.02)
    except WaitTimeout:
        return False, f"not seen within {timeout:g} s: " + await describe_invocation(sql, inv_id)
