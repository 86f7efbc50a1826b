"""What an invocation is doing, in words: for a step whose wait ran out (never a silent hang)."""

from __future__ import annotations

from restate_play.restate.records import Invocation, JournalEntry, JournalEvent

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


def _failures(inv: Invocation, events: list[JournalEvent]) -> tuple[int, str | None]:
    """(attempts that failed, the last error): a paused invocation's row no longer holds them, its events do."""
    failed = [e for e in events if e.type == "TransientError"]
    attempts = inv.retry_count or sum(int(e.detail.get("count") or 1) for e in failed)
    if inv.last_failure or not failed:
        return attempts, inv.last_failure
    last = failed[-1].detail
    code = f"[{last['error_code']}] " if last.get("error_code") else ""
    return attempts, code + str(last.get("error_message") or "")


def _entry(entry: JournalEntry) -> str:
    target = (entry.detail or {}).get("target")
    return (entry.name or entry.type) + (f" {target}" if target else "")


def describe(
    inv: Invocation | None, journal: list[JournalEntry] | None = None, events: list[JournalEvent] | None = None
) -> str:
    """One or two sentences a person can act on."""
    if inv is None:
        return "Restate shows no invocation for it (the request may not have reached the ingress)."
    journal = journal or []
    attempts, last_failure = _failures(inv, events or [])
    head = f"{inv.id} is {inv.status}"
    if inv.status == "backing-off":
        when = f"; next retry at {inv.next_retry_at}" if inv.next_retry_at else ""
        return (
            f"{head}: Restate is retrying it, attempt {inv.retry_count} failed with {_error(inv.last_failure)}{when}."
        )
    if inv.status == "paused":
        # Restate keeps one event per distinct error: their counts can be lower than the attempts made.
        after = f"after {attempts} failed attempts" if attempts > 1 else "once its retry policy ran out"
        return (
            f"{head}: Restate paused it {after} (max-attempts in restate.toml); last error {_error(last_failure)}. "
            f"Once the handler is fixed (under `serve`), `restate-play invocations resume {inv.id}` retries it."
        )
    if inv.status in ("suspended", "running"):
        entry = open_command(journal)
        # Between two attempts of a retried step: say why the earlier ones failed, as backing-off does.
        why = f"; the last failed with {_error(last_failure)}" if last_failure else ""
        retried = f" (after {attempts} failed attempts{why})" if attempts else ""
        if entry is not None:
            return f"{head}{retried}, waiting on {_waiting_on(entry)}."
        last = next((e for e in reversed(journal) if e.kind == "Command"), None)
        seen = f"; its last journal entry is '{_entry(last)}'" if last else ""
        if inv.status == "suspended":  # nothing in the journal is open: a callback only the outside can give
            return f"{head}{retried}, waiting on an awakeable or a signal from outside{seen}."
        return f"{head}{retried}{seen}."
    if inv.status == "inboxed":
        return f"{head}: queued behind another invocation of key '{inv.key}' (one at a time per key)."
    if inv.status == "scheduled":
        return f"{head}: it starts at {inv.scheduled_start_at or 'a later time'}."
    if inv.done:
        return f"{head} ({inv.completion_result or 'no result'}), but its answer did not arrive in time."
    return f"{head}."
