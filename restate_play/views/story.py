"""The end of a run in words: the narration kept, a legend of the journal icons, what just happened.

`story_lines` is a pure function of a run's records (`RunResult`): requests, invocations with their
journals and journal events, crashes, the service's own exits, the world ledger, state and checks.
Every sentence states something a reader can check in the records printed above it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from restate_play.scenario.replay import analyse
from restate_play.scenario.result import RunResult
from restate_play.views.journal_text import ICON

MAX_LINES = 5
CRASH_SLACK = 1.0  # s: a crash's first failed attempt can be journaled before the crash's time is taken

# What each entry icon of views/journal.py stands for (drawn as "<icon> <Type>", so the type is named
# beside it in a tree): the full legend, `run --legend`.
ENTRY_MEANING = {
    "Input": "the request that started the invocation",
    "Output": "the handler's answer",
    "Run": "a side effect (ctx.run): its result is journaled and reused on replay",
    "Sleep": "a durable timer (ctx.sleep): it survives crashes",
    "Call": "a call to another handler: its answer is journaled",
    "OneWayCall": "a send: starts another invocation without waiting for it",
    "SetState": "K/V state written",
    "GetState": "K/V state read",
    "GetEagerState": "K/V state read (sent along with the invocation)",
    "ClearState": "K/V state cleared",
    "Awakeable": "waits for an outside system to resolve it",
    "CompleteAwakeable": "resolves an awakeable",
    "GetPromise": "waits for a durable promise (workflows)",
    "PeekPromise": "looks at a durable promise without waiting",
    "CompletePromise": "resolves a durable promise",
    "Signal": "a signal arrived (an awakeable's result, a cancellation)",
}


# The marks after an entry, which the tree does not name: (what the tree shows, icon, the one-line
# legend's words, the full legend's name and meaning).
MARKS = (
    ("⇒", "⇒", "result", "result", "its journaled result: a replay reuses it, never recomputes it"),
    ("✓", "✓", "done", "done", "completed, with no value to show"),
    ("✗", "✗", "failed", "failed", "a terminal error (and ✗ ClearState: state cleared)"),
    ("… pending", "…", "pending", "pending", "not completed yet: a timer, a call or a signal to come"),
    ("↻", "↻", "retries", "retries", "failed attempts Restate retried so far, with the last error"),
    (
        "#",
        "#n",
        "journal index (gaps: results)",
        "index",
        "the entry's place in the journal; a command's result is"
        " the next entry, shown on the command's line, hence the gaps",
    ),
)


def legend_items(journals_text: str) -> list[tuple[str, str]]:
    """(icon, meaning) of the marks these journals show; their entry types are named in the tree."""
    rest = journals_text
    for entry_type, icon in ICON.items():  # ✗ ClearState is not the ✗ of a failure
        rest = rest.replace(f"{icon} {entry_type}", "")
    return [(icon, words) for shown, icon, words, _, _ in MARKS if shown in rest]


def glossary() -> list[tuple[str, str, str]]:
    """Every icon of a journal tree: (icon, what it marks, meaning)."""
    entries = [(icon, entry_type, ENTRY_MEANING.get(entry_type, "")) for entry_type, icon in ICON.items()]
    return entries + [(icon, name, meaning) for _, icon, _, name, meaning in MARKS]


def glossary_table() -> Table:
    """The full legend, one icon a line (`restate-play run --legend`)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True, style="bold cyan")
    table.add_column()
    for icon, name, meaning in glossary():
        table.add_row(icon, name, meaning)
    return table


def wrap_items(items: list[str], width: int, lead: str = "Legend: ", sep: str = " · ") -> list[str]:
    """Items joined on lines of at most `width` cells; an item is never split across two lines."""
    indent = " " * cell_len(lead)
    lines, line = [], lead + items[0] if items else lead
    for item in items[1:]:
        if cell_len(line + sep + item + sep.rstrip()) > width:  # room for a trailing separator
            lines.append(line + sep.rstrip())
            line = indent + item
        else:
            line += sep + item
    lines.append(line)
    return lines


class Legend:
    """The legend, laid out for the width it is drawn at."""

    def __init__(self, items: list[tuple[str, str]]):
        self.items = [f"{icon} {meaning}" for icon, meaning in items]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in wrap_items(self.items, options.max_width):
            yield Text(line, style="dim", no_wrap=True, overflow="fold")


def tree_text(tree: Tree) -> str:
    label = tree.label
    text = label.plain if isinstance(label, Text) else str(label)
    return "\n".join([text, *(tree_text(child) for child in tree.children)])


def journal_legend(trees: Iterable[Tree]) -> Legend:
    """The legend of the icons these journal trees use."""
    return Legend(legend_items("\n".join(tree_text(t) for t in trees)))


# -- the narration -------------------------------------------------------------------------------
NARRATION_STYLES = (
    ("💥", "bold red"),
    ("♻", "bold green"),
    ("✘", "red"),
    ("✔", "green"),
    ("Restate retries", "yellow"),
)


def narration_text(line: str) -> Text:
    """A narration line, styled by what it tells (step headings bold)."""
    if line.startswith("["):
        return Text(line, style="bold")
    style = next((s for mark, s in NARRATION_STYLES if mark in line), "")
    return Text(line, style=style)


# -- what just happened --------------------------------------------------------------------------
class Bullets:
    """Lines as bullets; a long one wraps between words, under its own text (no padding after it)."""

    def __init__(self, lines: list[str]):
        self.lines = lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines:
            wrapped = Text(line).wrap(console, max(20, options.max_width - 2), overflow="fold")
            for n, part in enumerate(wrapped):
                part.rstrip()
                yield Text("• " if n == 0 else "  ") + part


def story_text(lines: list[str]) -> Bullets:
    return Bullets(lines)


def clip(text: str, limit: int) -> str:
    """At most about `limit` characters, cut between words."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def _message(error: str) -> str:
    # The SDK reports an exception as its repr, ProviderUnavailable('…'): the words are inside.
    inner = re.fullmatch(r"\w+\(['\"](.*)['\"]\)", error.strip(), re.DOTALL)
    return clip(inner.group(1) if inner else error, 70)


def _epoch(iso: str | None) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() if iso else 0.0


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _quoted(names: list[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


class _Records:
    """Look-ups over one result's records."""

    def __init__(self, result: RunResult):
        self.result = result
        self.by_id = {inv["id"]: inv for inv in result.invocations}
        self.labels = {
            r["invocation_id"]: r["label"] for r in result.requests if r.get("label") and r.get("invocation_id")
        }
        self.ids = {label: inv_id for inv_id, label in self.labels.items()}

    def name(self, inv: dict[str, Any]) -> str:
        label = self.labels.get(inv["id"])
        return f"'{label}'" if label else inv["target"]


def _ended(inv: dict[str, Any]) -> str:
    if inv["status"] != "completed":
        return inv["status"]
    return "failed" if inv["completion_result"] == "failure" else "succeeded"


def _transient(inv: dict[str, Any]) -> list[dict[str, Any]]:
    """The failed attempts Restate recorded for it (journal events); each one was retried."""
    return [e for e in inv.get("events", []) if e["type"] == "TransientError"]


def _handler(inv: dict[str, Any]) -> str:
    """service/handler, without an object's key: what the invocations have in common."""
    return f"{inv['service']}/{inv['handler']}" if inv.get("service") and inv.get("handler") else inv["target"]


def _traffic(result: RunResult) -> str:
    kinds = Counter(r.get("kind") for r in result.requests)
    sent = []
    if result.storm:
        sent.append(f"{result.storm['sent']} requests, {result.storm['concurrency']} at a time,")
    elif kinds["call"] + kinds["send"]:
        sent.append(_plural(kinds["call"] + kinds["send"], "request"))
    if kinds["publish"]:
        sent.append(_plural(kinds["publish"], "Kafka record"))
    if kinds["attach"]:
        sent.append(_plural(kinds["attach"], "attach"))
    invocations = result.invocations
    outcomes = Counter(_ended(i) for i in invocations)
    said = _counts(outcomes)
    failures = list(
        dict.fromkeys(_message(i["completion_failure"]) for i in invocations if i.get("completion_failure"))
    )
    if failures:
        said += f" ({failures[0]})" if len(failures) == 1 else f" (the first: {failures[0]})"
    targets = list(dict.fromkeys(_handler(i) for i in invocations))
    of = f" of {', '.join(targets)}" if len(targets) <= 2 else f" of {len(targets)} handlers"
    ran = f"{_plural(len(invocations), 'invocation')}{of}" + (f": {said}" if invocations else "")
    return f"{' and '.join(sent) or 'No requests'} started {ran}."


def _disruptions(result: RunResult, records: _Records) -> list[dict[str, Any]]:
    """Scenario kills and the service's own exits, in time order, each with the invocation it hit."""
    found = []
    for crash in result.crashes:
        found.append({**crash, "kind": "kill", "invocation": records.ids.get(crash.get("of") or "")})
    for ex in result.service_exits:
        # The pattern's simulated crash is a fault the world recorded just before the process died.
        faults = [e for e in result.ledger if e["action"] == "fault.injected" and ex["at"] - 3.0 <= e["ts"] <= ex["at"]]
        fault = faults[-1] if faults else None
        at = fault["ts"] if fault else ex["at"]
        found.append({**ex, "at": at, "kind": "exit", "fault": fault, "invocation": fault and fault["invocation"]})
    return sorted(found, key=lambda d: d["at"])


def _what_hit(d: dict[str, Any], inv: dict[str, Any] | None, records: _Records) -> str:
    restarted = d.get("restarted_at")
    who = records.name(inv) if inv else None
    if d["kind"] == "exit":
        fault = f" (fault '{d['fault']['args'].get('point', '?')}')" if d.get("fault") else ""
        where = f" while {who} ran" if who else ""
        return f"The service process crashed on its own{fault}{where}, and the playground restarted it."
    where = f" while {who} ran" if who else ""
    if who and d.get("after_entry"):
        where = f" right after {who} journaled '{d['after_entry']}'"
    # '9.8s', no space: a wrapped line never leaves the unit alone at the start of the next
    back = f"restarted {restarted - d['at']:.1f}s later" if restarted else "not restarted"
    return f"The {d['target']} was killed (SIGKILL){where}, and {back}."


def _outcome(inv: dict[str, Any]) -> str:
    if inv["status"] != "completed":
        return f"is still {inv['status']}"
    if inv["completion_result"] == "failure":
        return f"failed: {_message(inv.get('completion_failure') or '')}"
    return "completed"


def _crash_attempts(d: dict[str, Any], inv: dict[str, Any]) -> list[dict[str, Any]]:
    """The attempts of `inv` that failed because of the crash, while the service was down.

    They name no step (broken pipe, connection refused); a failing step's own do. The first (the
    broken stream) is journaled as the kill happens, a moment before the crash's time is taken.
    """
    start, end = d["at"] - CRASH_SLACK, d.get("restarted_at") or float("inf")
    return [
        e
        for e in _transient(inv)
        if start <= _epoch(e["appended_at"]) <= end and not e["detail"].get("related_command_name")
    ]


def _recovery(d: dict[str, Any], inv: dict[str, Any], records: _Records) -> str:
    who = records.name(inv)
    if d["target"] == "server":
        return f"When restate-server was back, {who} resumed from its journal and {_outcome(inv)}."
    retries = _crash_attempts(d, inv)
    if d["kind"] == "kill" and not d.get("restarted_at"):
        tried = f"Restate retried {who} {_times(len(retries))}" if retries else f"Restate had not retried {who} yet"
        return f"{tried}; with the service still down, it {_outcome(inv)}."
    retried = f"Restate retried {who} {_times(len(retries))} while the service was down, then" if retries else "Then"
    return f"{retried} the restarted service replayed its journal and it {_outcome(inv)}."


def _replayed(result: RunResult, d: dict[str, Any], inv: dict[str, Any]) -> list[str]:
    report = analyse(
        {"crashes": [d], "invocations": result.invocations, "ledger": result.ledger}, invocation_id=inv["id"]
    )
    if report is None:
        return []
    before = [s["name"] for s in report.steps if s["journaled_before_crash"]]
    lines = []
    if before:
        seen = ", ".join(f"{row['action']} {row['runs']}×" for row in report.exactly_once)
        again = any(row["runs"] > 1 for row in report.exactly_once)
        verb = "ran again" if again else "did not run again"
        were = "was" if len(before) == 1 else "were"
        lines.append(
            f"{_quoted(before)} {were} journaled before the crash and {verb}"
            + (f": the ledger shows {seen}." if seen else ".")
        )
    for row in report.at_least_once:
        lines.append(
            f"{row['action']} ran {row['runs']}×: it was under way when the crash hit, so the retry ran it again "
            "(at-least-once)."
        )
    return lines


def _crash_lines(result: RunResult, records: _Records) -> list[str]:
    lines: list[str] = []
    found = _disruptions(result, records)
    for n, d in enumerate(found):
        inv = records.by_id.get(d.get("invocation") or "")
        flying = [] if inv else _in_flight(result, d["at"])
        if len(flying) == 1:  # the crash names no invocation, but only one was under way
            inv = flying[0]
        lines.append(_what_hit(d, inv, records))
        if n > 0:  # the first one told in full; the records show the others
            continue
        if inv is not None:
            lines.append(_recovery(d, inv, records))
            lines += _replayed(result, d, inv)
        elif flying:
            lines.append(_many_recovered(d, flying, records))
        else:
            lines.append(f"No invocation was under way when the {d['target']} went down.")
    return lines


def _in_flight(result: RunResult, at: float) -> list[dict[str, Any]]:
    """The invocations started before `at` and not completed by then."""
    return [
        i
        for i in result.invocations
        if _epoch(i.get("created_at")) < at and (not i.get("completed_at") or _epoch(i["completed_at"]) > at)
    ]


def _many_recovered(d: dict[str, Any], flying: list[dict[str, Any]], records: _Records) -> str:
    names = [records.name(i) for i in flying]
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    ends = Counter(_ended(i) for i in flying)
    everyone = "both" if len(flying) == 2 else f"all {len(flying)}"
    outcome = f"{everyone} succeeded" if set(ends) == {"succeeded"} else _counts(ends)
    if d["target"] == "server":
        return f"{len(flying)} invocations were in flight ({shown}); they resumed from their journals: {outcome}."
    retries = sum(len(_crash_attempts(d, i)) for i in flying)
    retried = (
        f"Restate retried them {_times(retries)} while the service was down" if retries else "Restate retried them"
    )
    return f"{len(flying)} invocations were in flight ({shown}); {retried}, and in the end {outcome}."


def _counts(counter: Counter) -> str:
    return ", ".join(f"{n} {what}" for what, n in counter.items())


def _retry_lines(result: RunResult, records: _Records) -> list[str]:
    """Retries of failed steps (an API that said 'try again'), not those a crash caused."""
    lines = []
    for inv in result.invocations:
        failed = [e for e in _transient(inv) if e["detail"].get("related_command_name")]
        if failed:
            steps = list(dict.fromkeys(e["detail"]["related_command_name"] for e in failed))
            message = _message(failed[-1]["detail"].get("error_message", ""))
            lines.append(
                f"Restate retried {records.name(inv)} {_times(len(failed))} after {_quoted(steps)} failed ({message})."
            )
    return lines[:2]


def _value(state: dict[str, Any]) -> str:
    return clip(json.dumps(state["value"], ensure_ascii=False) if state["json"] else str(state["value"]), 30)


def _world_lines(result: RunResult) -> list[str]:
    lines = []
    if result.ledger:
        counts = Counter(e["action"] for e in result.ledger)
        shown = ", ".join(f"{action} {n}×" for action, n in list(counts.items())[:4])
        more = f" and {_plural(len(counts) - 4, 'more kind')}" if len(counts) > 4 else ""
        lines.append(f"The world ledger recorded {_plural(len(result.ledger), 'action')}: {shown}{more}.")
    if result.state:
        kept = [f"{s['service']}/{s['key']} {s['name']} = {_value(s)}" for s in result.state[:3]]
        more = f" and {len(result.state) - 3} more" if len(result.state) > 3 else ""
        lines.append(f"Restate keeps the state: {'; '.join(kept)}{more}.")
    return lines


def _failure_lines(result: RunResult) -> list[str]:
    if result.error:
        return [f"The run stopped: {result.error}."]
    failed = [c for c in result.checks if not c.passed]
    if not failed:
        return []
    first = failed[0]
    return [
        f"{len(failed)} of {len(result.checks)} expectations did not hold, first '{first.description}': {first.detail}."
    ]


def story_lines(result: RunResult) -> list[str]:
    """3–5 plain sentences: the traffic, then crashes and recovery, retries, the world; failures last."""
    records = _Records(result)
    tail = _failure_lines(result)
    body = _crash_lines(result, records) + _retry_lines(result, records) + _world_lines(result)
    return [_traffic(result), *body[: MAX_LINES - 1 - len(tail)], *tail]
