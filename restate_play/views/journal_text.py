"""A journal in words, without rich: statuses, one line per command (its result folded in), failed
attempts with Restate's error codes explained, and `invocations describe` as lines.

The live view's tree (views/journal.py) is drawn with rich from the same lines; `describe` prints
these lines as they are, so the lookup never imports rich.
"""

from __future__ import annotations

from datetime import datetime

from restate_play.restate.error_codes import explain
from restate_play.restate.journal import results_by_completion
from restate_play.restate.records import Invocation, JournalEntry, JournalEvent
from restate_play.views.status import status_text
from restate_play.views.styled import Styled, wrap
from restate_play.views.values import short

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


def invocation_heading(inv: Invocation) -> Styled:
    head = Styled()
    head.append(inv.target, style="bold")
    head.append("  ")
    head.append(inv.id, style="dim")
    head.append("  ")
    head.extend(status_text(inv))
    if inv.restarted_from:  # restart-as-new: linked to the invocation it started again from
        head.append(f"  ↺ restarted from {inv.restarted_from}", style="cyan")
    return head


def kept_from_original(inv: Invocation, entry: JournalEntry) -> bool:
    """A restarted invocation's entries copied from its original: appended before it was created."""
    created, at = at_time(inv.created_at), at_time(entry.appended_at)
    return bool(inv.restarted_from and created and at and at < created)


def command_line(entry: JournalEntry, result: JournalEntry | None, numbered: bool = True) -> Styled:
    line = Styled()
    if numbered:
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


NUMBERING = (
    "#: the entry's index in Restate's journal. Each result (a notification) has an index of its own and is "
    "shown on its command's line, hence the gaps. Restate records a failed attempt again only when its error changes."
)


def at_time(stamp: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None
    except ValueError:
        return None


def took(seconds: float) -> str:
    """A duration as a person reads it: 15 ms, 2.48 s, 3 min 5 s."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    return f"{int(seconds // 60)} min {seconds % 60:.0f} s"


def event_text(event: JournalEvent, explained: set[str] | None = None) -> Styled:
    """A journal event in words: a failed attempt with Restate's error code and what it means (once:
    codes in `explained` are shown bare, and the shown one is added)."""
    detail = event.detail
    if event.type == "TransientError":
        text = Styled("✗ attempt failed", style="red bold")
        code = detail.get("restate_doc_error_code")
        status = detail.get("error_code")
        if code:
            text.append(f": {code if explained is not None and code in explained else explain(code)}", style="red")
            if explained is not None:
                explained.add(code)
        if detail.get("related_command_name"):
            text.append(f" in [{detail['related_command_name']}]", style="red")
        text.append(f" — {short(detail.get('error_message'), 300)}", style="red")
        if status:
            text.append(f" [{status}]", style="dim red")
        return text
    words = ", ".join(f"{k} {v}" for k, v in detail.items() if k != "ty" and v not in (None, ""))
    return Styled(f"• {event.type}" + (f": {words}" if words else ""), style="yellow")


def timeline_rows(
    entries: list[JournalEntry], events: list[JournalEvent], inv: Invocation | None = None
) -> list[tuple[datetime | None, str, Styled]]:
    """(time, index, text) of every command (its result folded in), other entries and events, in time order;
    with `inv` a restarted invocation, the entries kept from its original are marked."""
    results = results_by_completion(entries)
    rows: list[tuple[datetime | None, str, Styled, int]] = []
    for order, entry in enumerate(entries):
        if entry.kind == "Notification" and entry.completion_id is not None:
            continue  # shown on its command's line
        result = results.get(entry.completion_id) if entry.kind == "Command" and entry.completion_id else None
        if entry.kind == "Command":
            text = command_line(entry, result, numbered=False)
            start, end = at_time(entry.appended_at), at_time(result.appended_at if result else None)
            if start and end and entry.type not in ("GetEagerState", "GetState"):
                text.append(f" after {took((end - start).total_seconds())}", style="dim")
            if inv is not None and kept_from_original(inv, entry):
                text.append("  ↺ kept from the original", style="cyan")
        elif entry.type == "Signal":
            text = Styled("⚡ Signal", style="bold cyan")
            if entry.value:
                text.append(f"  ⇒ {short(entry.value, 50)}", style="green")
        else:
            text = Styled(f"{entry.kind}: {entry.type}", style="dim")
        rows.append((at_time(entry.appended_at), str(entry.index), text, 2 * order))
    explained: set[str] = set()
    for order, event in enumerate(events):
        rows.append((at_time(event.appended_at), "", event_text(event, explained), 2 * order + 1))
    # Events after entry N come after it at the same instant; rows without a time keep their place.
    rows.sort(key=lambda r: (r[0].timestamp() if r[0] else 0.0, r[3] % 2))
    return [(at, index, text) for at, index, text, _ in rows]


def details(inv: Invocation) -> Styled:
    created = at_time(inv.created_at)
    parts = [f"created {created:%Y-%m-%d %H:%M:%S.%f}"[:-3] + " UTC" if created else "created ?"]
    parts.append(f"invoked by {inv.invoked_by or '?'}" + (f" {inv.invoked_by_id}" if inv.invoked_by_id else ""))
    if inv.idempotency_key:
        parts.append(f"idempotency key {inv.idempotency_key}")
    if inv.retry_count:
        parts.append(f"{inv.retry_count} retr{'y' if inv.retry_count == 1 else 'ies'}")
    if inv.scheduled_start_at:
        parts.append(f"scheduled for {inv.scheduled_start_at}")
    if inv.restarted_from:
        parts.append(f"restarted from {inv.restarted_from}")
    return Styled(" · ".join(parts), style="dim")


def retry_summary(inv: Invocation) -> Styled | None:
    """Where a failing invocation stands: retries so far, the last error in words, the next attempt."""
    if inv.status == "completed":
        if inv.completion_failure:
            return Styled(f"✗ failed for good: {short(inv.completion_failure, 300)}", style="red bold")
        return None
    if not (inv.retry_count or inv.last_failure):
        return None
    text = Styled(f"↻ {inv.retry_count} retr{'y' if inv.retry_count == 1 else 'ies'} so far", style="red bold")
    if inv.last_failure:
        code = f"{explain(inv.last_failure_error_code)}: " if inv.last_failure_error_code else ""
        text.append(f"; last error {code}{short(inv.last_failure, 300)}", style="red")
    if inv.next_retry_at:
        text.append(f"; next attempt at {inv.next_retry_at[11:23]}", style="dim red")
    return text


def timeline_lines(
    entries: list[JournalEntry], events: list[JournalEvent], inv: Invocation | None, width: int
) -> list[Styled]:
    """Every command with its time and the time since the line before, failed attempts in between;
    an entry longer than its room goes on under itself, never under the times."""
    rows = []
    previous: datetime | None = None
    for at, index, text in timeline_rows(entries, events, inv):
        since = f"+{took((at - previous).total_seconds())}" if at and previous else ""
        rows.append((at.strftime("%H:%M:%S.%f")[:-3] if at else "", since, index, text))
        previous = at or previous
    names = ("time", "+since", "#")
    widths = [max([len(name), *(len(r[n]) for r in rows)]) for n, name in enumerate(names)]
    indent = sum(widths) + len(widths)
    heading = f"{names[0]:<{widths[0]}} {names[1]:>{widths[1]}} {names[2]:>{widths[2]}}"
    lines = [Styled(heading + " entry", "dim")]
    for at, since, index, text in rows:
        parts = wrap(text, max(30, width - indent))
        lines.append(Styled(f"{at:<{widths[0]}} {since:>{widths[1]}} {index:>{widths[2]}} ", "dim").extend(parts[0]))
        lines += [Styled(" " * indent).extend(part) for part in parts[1:]]
    return lines


def describe_lines(
    inv: Invocation, entries: list[JournalEntry], events: list[JournalEvent], width: int
) -> list[Styled]:
    """`invocations describe`: heading, details, the timeline, where retries stand, the numbering legend.
    The heading and details stay whole (they hold ids to copy); prose is wrapped at `width`."""
    lines = [invocation_heading(inv), details(inv), Styled(), *timeline_lines(entries, events, inv, width)]
    summary = retry_summary(inv)
    if summary is not None:
        lines += [Styled(), *wrap(summary, width)]
    return [*lines, Styled(), *wrap(Styled(NUMBERING, "dim"), width)]
