"""What an invocation is doing, in words: for a step whose wait ran out (never a silent hang)."""

from __future__ import annotations

from restate_play.restate.records import Invocation, JournalEntry

WAITS_ON = {
    "Sleep": "a timer",
    "Awakeable": "an awakeable (a callback from outside)",
    "CompleteAwakeable": "an awakeable",
    "Call": "a call",
    "GetPromise": "a durable promise",
    "PeekPromise": "a durable promise",
    "AttachInvocation": "another invocation's result",
    "GetInvocationOutput": "another invocation's result",
    "Run": "a ctx.run step",
}


def _error(text: str | None, limit: int = 160) -> str:
    # The SDK appends the handler's Python traceback to the message: the first line says what failed.
    text = (text or "no error message").split("Traceback (most recent call last)")[0]
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def open_command(journal: list[JournalEntry]) -> JournalEntry | None:
    """The last command without its result yet: what a suspended or running invocation waits on."""
    waiting = [e for e in journal if e.kind == "Command" and e.type in WAITS_ON and not e.completed]
    return waiting[-1] if waiting else None


def _waiting_on(entry: JournalEntry) -> str:
    what = WAITS_ON.get(entry.type, entry.type)
    named = f" '{entry.name}'" if entry.name else ""
    detail = entry.detail or {}
    target = detail.get("target") or detail.get("service")
    wake = detail.get("wake_up_at")
    extra = f" to {target}" if target and entry.type == "Call" else ""
    extra += f" until {wake}" if wake else ""
    return f"{what}{named}{extra} (journal entry {entry.index})"


def describe(inv: Invocation | None, journal: list[JournalEntry] | None = None) -> str:
    """One or two sentences a person can act on."""
    if inv is None:
        return "Restate shows no invocation for it (the request may not have reached the ingress)."
    journal = journal or []
    head = f"{inv.id} is {inv.status}"
    if inv.status == "backing-off":
        when = f"; next retry at {inv.next_retry_at}" if inv.next_retry_at else ""
        return (
            f"{head}: Restate is retrying it, attempt {inv.retry_count} failed with {_error(inv.last_failure)}{when}."
        )
    if inv.status == "paused":
        return (
            f"{head}: Restate paused it after {inv.retry_count} attempts; last error {_error(inv.last_failure)}. "
            f"Fix the handler, then `restate-play invocations resume {inv.id}`."
        )
    if inv.status in ("suspended", "running"):
        entry = open_command(journal)
        retried = f" (after {inv.retry_count} failed attempts)" if inv.retry_count else ""
        if entry is not None:
            return f"{head}{retried}, waiting on {_waiting_on(entry)}."
        last = next((e for e in reversed(journal) if e.kind == "Command"), None)
        seen = f"; its last journal entry is '{last.name or last.type}'" if last else ""
        return f"{head}{retried}{seen}."
    if inv.status == "inboxed":
        return f"{head}: queued behind another invocation of key '{inv.key}' (one at a time per key)."
    if inv.status == "scheduled":
        return f"{head}: it starts at {inv.scheduled_start_at or 'a later time'}."
    if inv.done:
        return f"{head} ({inv.completion_result or 'no result'}), but its answer did not arrive in time."
    return f"{head}."
