"""One invocation's journal on a time axis: commands as bars from their start to their result,
retries (journal events) and crashes as marks. The spans are shared with the HTML report.

Pure functions of records: no HTTP, no processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from restate_play.restate.journal import results_by_completion
from restate_play.restate.records import Invocation, JournalEntry, JournalEvent
from restate_play.views.values import short


def epoch(iso: str | None) -> float | None:
    """Seconds since the epoch of Restate's ISO times (`2026-12-01T22:54:48.650Z`)."""
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


@dataclass(frozen=True)
class Span:
    """A command, from when it was journaled to when its result was (None: instantaneous or open)."""

    index: int
    type: str
    label: str
    start: float
    end: float | None = None
    result: str | None = None  # "success" | "failure" | None (no result entry)
    value: str | None = None
    failure: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    completed: bool = True

    @property
    def duration(self) -> float:
        return (self.end - self.start) if self.end is not None else 0.0


@dataclass(frozen=True)
class Retry:
    """A failed attempt Restate retried (a TransientError journal event)."""

    at: float
    index: int  # the journal entry it came after
    message: str
    code: str | None = None
    command: int | None = None  # the command it hit, counted among the commands (0: the input)


@dataclass(frozen=True)
class Mark:
    """Something outside the invocation that happened at a moment: a crash, a restart."""

    at: float
    label: str
    kind: str = "crash"  # "crash" | "restart"


def span_label(entry: JournalEntry) -> str:
    if entry.type in ("Call", "OneWayCall") and entry.detail.get("target"):
        verb = "call" if entry.type == "Call" else "send"
        return f"{entry.name or verb} → {entry.detail['target']}"
    if entry.type in ("SetState", "GetState", "GetEagerState", "ClearState") and entry.detail.get("key"):
        return f"{entry.type} {entry.detail['key']}"
    return entry.name or entry.type


def spans(journal: Sequence[JournalEntry]) -> list[Span]:
    """The commands of a journal with their results folded in (a notification ends its command's bar)."""
    results = results_by_completion(journal)
    out = []
    for entry in journal:
        start = epoch(entry.appended_at)
        if entry.kind != "Command" or start is None:
            continue
        done = results.get(entry.completion_id) if entry.completion_id is not None else None
        out.append(
            Span(
                entry.index,
                entry.type,
                span_label(entry),
                start,
                epoch(done.appended_at) if done else None,
                (done.result if done else entry.result),
                (done.value if done else entry.value),
                (done.failure if done else entry.failure),
                entry.detail,
                entry.completed,
            )
        )
    return out


def retries(events: Sequence[JournalEvent]) -> list[Retry]:
    out = []
    for event in events:
        at = epoch(event.appended_at)
        if event.type != "TransientError" or at is None:
            continue
        d = event.detail
        code = d.get("restate_doc_error_code") or (str(d["error_code"]) if d.get("error_code") else None)
        command = d.get("related_command_index")
        out.append(Retry(at, event.index, str(d.get("error_message", "")), code, command))
    return out


# What Restate says when the service's process is gone (killed, crashed, restarting).
GONE = ("connection refused", "broken pipe", "connection reset", "stream closed", "h2 pool connection error")


def gone_marks(retries_: Sequence[Retry]) -> list[Mark]:
    """Crash marks inferred from Restate's errors, for a server that keeps no crash records: the
    first of each streak of attempts that found the service gone."""
    marks, streak = [], False
    for retry in sorted(retries_, key=lambda r: r.at):
        gone = any(word in retry.message.lower() for word in GONE)
        if gone and not streak:
            marks.append(Mark(retry.at, f"the service was gone (Restate: {short(retry.message, 60)})"))
        streak = gone
    return marks


def command_at(spans_: Sequence[Span], retry: Retry) -> Span | None:
    """The command a retry hit: the one the event names (its place among the commands), else the
    last one journaled before it."""
    if retry.command is not None and 0 <= retry.command < len(spans_):
        return spans_[retry.command]
    before = [s for s in spans_ if s.index <= retry.index]
    return before[-1] if before else (spans_[0] if spans_ else None)


class InvocationTimeline:
    """`invocations timeline <id>`: one row per command, a text bar on a shared time axis."""

    def __init__(
        self,
        inv: Invocation,
        journal: Sequence[JournalEntry],
        events: Sequence[JournalEvent] = (),
        marks: Sequence[Mark] = (),
    ):
        self.inv = inv
        self.spans = spans(journal)
        self.retries = retries(events)
        self.marks = list(marks)

    def _range(self) -> tuple[float, float]:
        times = [s.start for s in self.spans] + [s.end for s in self.spans if s.end is not None]
        times += [r.at for r in self.retries] + [m.at for m in self.marks]
        times += [t for t in (epoch(self.inv.created_at), epoch(self.inv.completed_at)) if t is not None]
        if not times:
            return 0.0, 1.0
        return min(times), max(max(times), min(times) + 0.001)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        t0, t1 = self._range()
        label_width = min(28, max((len(s.label) for s in self.spans), default=8) + 1)
        cols = max(10, options.max_width - label_width - 10)

        def col(t: float) -> int:
            return min(cols - 1, max(0, round((t - t0) / (t1 - t0) * (cols - 1))))

        yield self._heading(t1 - t0)
        yield Text(" " * label_width) + axis(t1 - t0, cols)
        crash_cols = {col(m.at): m for m in self.marks}
        for span in self.spans:
            cells = [(" ", "")] * cols
            a, b = col(span.start), col(span.end) if span.end is not None else None
            style = "red" if span.result == "failure" else ("green" if span.completed else "yellow")
            if b is None and not span.completed:  # still waiting for its result: open to the end
                b = cols - 1
                style = "yellow"
            for c in range(a, (b if b is not None else a) + 1):
                cells[c] = ("█" if b is not None and b > a else "▏", style)
            for retry in self.retries:
                if command_at(self.spans, retry) is span:
                    cells[col(retry.at)] = ("✕", "bold red")
            for c, mark in crash_cols.items():
                if cells[c][0] == " ":
                    cells[c] = ("┃", "red" if mark.kind == "crash" else "green")
            line = Text(f"{span.label[: label_width - 1]:<{label_width}}", style="bold" if span.type == "Run" else "")
            for char, cell_style in cells:
                line.append(char, style=cell_style)
            line.append(f" {fmt_duration(span.duration):>8}" if span.end is not None else " " * 9, style="dim")
            yield line
        for mark in self.marks:
            sign = "💥" if mark.kind == "crash" else "↺"
            yield Text(f"┃ +{mark.at - t0:.2f} s {sign} {mark.label}", style="red" if mark.kind == "crash" else "green")
        for retry in self.retries:
            code = f"[{retry.code}] " if retry.code else ""
            text = f"✕ +{retry.at - t0:.2f} s retried: {code}{short(retry.message, 200)}"
            yield Text(text, style="red", no_wrap=True, overflow="ellipsis")

    def _heading(self, total: float) -> Text:
        inv = self.inv
        head = Text(inv.id, style="bold")
        head.append(f"  {inv.target}  ")
        failed = inv.completion_result == "failure"
        head.append(
            "failed" if failed else inv.status,
            style="red bold" if failed else ("green" if inv.status == "completed" else "yellow"),
        )
        head.append(f"  {total:.2f} s", style="dim")
        if self.retries:
            head.append(f"  ✕ {len(self.retries)} retried attempt{'s' if len(self.retries) > 1 else ''}", style="red")
        return head


def axis(total: float, cols: int) -> Text:
    """Tick labels (+0.0s … +total) at about every 12 columns."""
    line = [" "] * cols
    step = nice_step(total, max(1, cols // 12))
    k = 0
    while k * step <= total + 1e-9:
        t = k * step
        c = round(t / total * (cols - 1)) if total else 0
        label = f"|{fmt_seconds(t)}"
        if c + len(label) <= cols and all(ch == " " for ch in line[c : c + len(label)]):
            line[c : c + len(label)] = label
        k += 1
    return Text("".join(line), style="dim")


def nice_step(total: float, ticks: int) -> float:
    """A round step (1, 2 or 5 × 10^n seconds) giving about `ticks` ticks over `total`."""
    raw = max(total, 1e-3) / max(ticks, 1)
    for exponent in range(-3, 6):
        for base in (1, 2, 5):
            step = base * 10.0**exponent
            if step >= raw:
                return step
    return raw


def fmt_seconds(t: float) -> str:
    if t == 0 or t >= 0.1:
        return f"{round(t, 3):g}s"
    return f"{t * 1000:.0f}ms"


def fmt_duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"
