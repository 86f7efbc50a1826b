"""A run's records (the `--json` document) as what the report draws: lanes of invocations with their
journal spans and retries, crash and restart moments, the ledger's actions with repeats, state
changes. Pure: a dict in, dataclasses out.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from restate_play.restate.records import Invocation, JournalEntry, JournalEvent
from restate_play.views.timeline import InvocationTimeline, Mark, Retry, Span, epoch, retries, spans

FOLD_BEYOND = 40  # more invocations than this: lanes are grouped by target and folded
WATERFALL_UP_TO = 12  # up to this many invocations: a row per journal command (names readable)


@dataclass
class Lane:
    invocation: Invocation
    label: str  # the scenario's label for its request, else the short id
    spans: list[Span]
    retries: list[Retry]
    start: float
    end: float | None
    curl: str | None = None
    input: str | None = None

    @property
    def failed(self) -> bool:
        return self.invocation.completion_result == "failure"


@dataclass
class Group:
    target: str
    lanes: list[Lane]
    folded: bool

    @property
    def failed(self) -> int:
        return sum(lane.failed for lane in self.lanes)


@dataclass(frozen=True)
class Moment:
    """A crash or a restart: a vertical line across all lanes."""

    at: float
    kind: str  # "crash" | "restart"
    label: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LedgerMark:
    at: float
    seq: int
    action: str
    args: dict[str, Any]
    invocation: str | None
    occurrence: int  # 1 for the first time this action ran with these arguments, 2 for its repeat…
    times: int  # how often it ran with these arguments

    @property
    def repeat(self) -> bool:
        return self.occurrence > 1


@dataclass(frozen=True)
class StateChange:
    at: float
    service: str
    key: str  # the object's key
    name: str  # the state key
    value: str | None  # None: cleared
    invocation: str


@dataclass
class Report:
    title: str
    pattern: str
    scenario: str
    passed: bool
    error: str | None
    t0: float
    t1: float
    groups: list[Group]
    moments: list[Moment]
    ledger: list[LedgerMark]
    state_changes: list[StateChange]
    final_state: list[dict[str, Any]]
    checks: list[dict[str, Any]]
    story: list[str]
    storm: dict[str, Any] | None
    timings: dict[str, float]
    waterfall: bool
    replay: dict[str, Any] | None = None  # crash-demo: the steps replayed from the journal

    @property
    def lanes(self) -> list[Lane]:
        return [lane for group in self.groups for lane in group.lanes]

    @property
    def repeats(self) -> int:
        return sum(mark.repeat for mark in self.ledger)


def _invocation(raw: dict[str, Any]) -> Invocation:
    known = Invocation._fields
    return Invocation(**{k: v for k, v in raw.items() if k in known})


def lane_of(raw: dict[str, Any], requests: dict[str, dict[str, Any]]) -> Lane:
    inv = _invocation(raw)
    journal = [JournalEntry(**e) for e in raw.get("journal", [])]
    events = [JournalEvent(**e) for e in raw.get("events", [])]
    request = requests.get(inv.id, {})
    journal_spans = spans(journal)
    start = epoch(inv.created_at) or (journal_spans[0].start if journal_spans else 0.0)
    end = epoch(inv.completed_at) if inv.done else None
    first_input = next((e.value for e in journal if e.type == "Input"), None)
    return Lane(
        inv,
        request.get("label") or inv.id[:12] + "…",
        journal_spans,
        retries(events),
        start,
        end,
        request.get("curl"),
        first_input,
    )


def moments(doc: dict[str, Any]) -> list[Moment]:
    out = []
    for crash in doc.get("crashes") or []:
        what = f"{crash.get('target', 'service')} killed (SIGKILL)"
        if crash.get("after_entry"):
            what += f" after '{crash['after_entry']}' of '{crash.get('of', '')}'"
        out.append(Moment(float(crash["at"]), "crash", what, crash))
        if crash.get("restarted_at"):
            out.append(Moment(float(crash["restarted_at"]), "restart", f"{crash.get('target')} restarted", crash))
    for exit_ in doc.get("service_exits") or []:
        out.append(Moment(float(exit_["at"]), "crash", "the service exited on its own (restarted)", exit_))
    return sorted(out, key=lambda m: m.at)


def ledger_marks(entries: list[dict[str, Any]]) -> list[LedgerMark]:
    """Each ledger line, numbered among the lines of the same action with the same arguments:
    a second one is a repeat (at-least-once after a crash, or a missing idempotency key)."""

    def identity(e: dict[str, Any]) -> tuple[str, str]:
        return e["action"], json.dumps(e.get("args") or {}, sort_keys=True, default=str)

    totals = Counter(identity(e) for e in entries)
    seen: Counter = Counter()
    out = []
    for e in entries:
        seen[identity(e)] += 1
        out.append(
            LedgerMark(
                float(e["ts"]),
                int(e["seq"]),
                e["action"],
                e.get("args") or {},
                e.get("invocation"),
                seen[identity(e)],
                totals[identity(e)],
            )
        )
    return out


def state_changes(lanes: list[Lane]) -> list[StateChange]:
    out = []
    for lane in lanes:
        inv = lane.invocation
        for span in lane.spans:
            if span.type in ("SetState", "ClearState") and span.detail.get("key"):
                value = span.value if span.type == "SetState" else None
                out.append(StateChange(span.start, inv.service, inv.key or "", span.detail["key"], value, inv.id))
    return sorted(out, key=lambda c: c.at)


def time_range(lanes: list[Lane], marks: list[Moment], ledger: list[LedgerMark]) -> tuple[float, float]:
    times = [lane.start for lane in lanes] + [lane.end for lane in lanes if lane.end]
    times += [s.end or s.start for lane in lanes for s in lane.spans] + [r.at for lane in lanes for r in lane.retries]
    times += [m.at for m in marks] + [m.at for m in ledger]
    if not times:
        return 0.0, 1.0
    t0, t1 = min(times), max(times)
    return t0, max(t1, t0 + 0.01)


def group_lanes(lanes: list[Lane]) -> list[Group]:
    if len(lanes) <= FOLD_BEYOND:
        return [Group("", lanes, folded=False)]
    by_target: dict[str, list[Lane]] = {}
    for lane in lanes:  # by service and handler: the object keys of a storm would make a group each
        inv = lane.invocation
        by_target.setdefault(f"{inv.service}/{inv.handler}" if inv.service else inv.target, []).append(lane)
    return [Group(target, group, folded=True) for target, group in by_target.items()]


def build(doc: dict[str, Any]) -> Report:
    requests = {r["invocation_id"]: r for r in doc.get("requests") or [] if r.get("invocation_id")}
    lanes = sorted((lane_of(raw, requests) for raw in doc.get("invocations") or []), key=lambda lane: lane.start)
    marks = moments(doc)
    ledger = ledger_marks(doc.get("ledger") or [])
    t0, t1 = time_range(lanes, marks, ledger)
    return Report(
        title=doc.get("title") or doc.get("scenario", ""),
        pattern=doc.get("pattern", ""),
        scenario=doc.get("scenario", ""),
        passed=bool(doc.get("passed")),
        error=doc.get("error"),
        t0=t0,
        t1=t1,
        groups=group_lanes(lanes),
        moments=marks,
        ledger=ledger,
        state_changes=state_changes(lanes),
        final_state=doc.get("state") or [],
        checks=doc.get("expectations") or [],
        story=doc.get("story") or [],
        storm=doc.get("storm"),
        timings=doc.get("timings") or {},
        waterfall=len(lanes) <= WATERFALL_UP_TO,
        replay=doc.get("replay"),
    )


def marks_of(crashes: list[dict[str, Any]]) -> list[Mark]:
    """The run's crash records as marks on a terminal timeline."""
    return [Mark(m.at, m.label, m.kind) for m in moments({"crashes": crashes})]


def terminal_timeline(raw: dict[str, Any], crashes: list[dict[str, Any]] = ()) -> InvocationTimeline:
    """One recorded invocation (a dict of the --json document) for `InvocationTimeline`."""
    return InvocationTimeline(
        _invocation(raw),
        [JournalEntry(**e) for e in raw.get("journal", [])],
        [JournalEvent(**e) for e in raw.get("events", [])],
        marks_of(list(crashes)),
    )
