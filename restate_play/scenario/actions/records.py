"""expect_state, expect_journal, expect_invocation, expect_invocations: checks on what Restate recorded."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from restate_play.restate.records import Invocation, JournalEntry, JournalEvent, StateEntry, pretty_value
from restate_play.scenario.actions.base import Doc, Expectation, Strict, Verdict, action

if TYPE_CHECKING:
    from restate_play.scenario.runner import ScenarioRunner

LABEL_DOC = "The label ('as') of a request in an earlier step."
Result = Literal["success", "failure"]


class StateQuery(Strict):
    service: str = Field(description="The Virtual Object or Workflow, like 'BookingWorkflow'.")
    key: str = Field(description="Its key ({name} takes a captured value).")
    values: dict[str, Any] = Doc("State key → the JSON value it must hold.", default_factory=dict)
    absent: list[str] = Doc("State keys that must not exist.", default_factory=list)


@action
class ExpectState(Expectation[list[StateEntry]]):
    name: ClassVar[str] = "expect_state"
    summary: ClassVar[str] = "The K/V state of one object key: values it holds, keys it must not have."
    example: ClassVar[str] = 'expect_state = { service = "machineOperator", key = "m1", values = { state = "up" } }'
    expect_state: StateQuery = Field(description="Which object key, and what its state must be.")

    def templated(self) -> list[str]:
        return [self.expect_state.key]

    def filled(self, fill: Callable[[str], str]) -> ExpectState:
        query = self.expect_state.model_copy(update={"key": fill(self.expect_state.key)})
        return self.model_copy(update={"expect_state": query})

    async def observe(self, run: ScenarioRunner) -> list[StateEntry]:
        return await run.sql.state(self.expect_state.service, self.expect_state.key)

    def judge(self, seen: list[StateEntry]) -> Verdict:
        q = self.expect_state
        entries = {e.name: e for e in seen}
        problems = []
        for name, want in q.values.items():
            got = entries.get(name)
            if got is None:
                problems.append(f"{name} missing")
            elif pretty_value(got.value) != want:
                problems.append(f"{name} = {got.value}, expected {json.dumps(want)}")
        problems += [f"{n} present ({entries[n].value})" for n in q.absent if n in entries]
        parts = [f"{k} = {json.dumps(v)}" for k, v in q.values.items()] + [f"no {n}" for n in q.absent]
        desc = f"state {q.service}/{q.key}: " + ", ".join(parts)
        return Verdict(desc, not problems, "; ".join(problems) or "as expected")


class JournalQuery(Strict):
    of: str = Field(description=LABEL_DOC)
    entries: list[str] = Doc(
        "Entry names or types that must appear in this order, like 'Book flight', 'Sleep'.", default_factory=list
    )
    absent: list[str] = Doc("Entry names or types that must never appear.", default_factory=list)


@action
class ExpectJournal(Expectation[list[JournalEntry] | None]):
    name: ClassVar[str] = "expect_journal"
    summary: ClassVar[str] = "A labelled invocation's journal: its steps in order, steps it never took."
    example: ClassVar[str] = 'expect_journal = { of = "trip", entries = ["Book flight", "Book car"] }'
    expect_journal: JournalQuery = Field(description="Whose journal, and what it must hold.")

    def refers(self) -> list[tuple[str, str]]:
        return [("of", self.expect_journal.of)]

    async def observe(self, run: ScenarioRunner) -> list[JournalEntry] | None:
        inv_id = await run.invocation_id(self.expect_journal.of)
        return [e for e in await run.sql.journal(inv_id) if e.kind == "Command"] if inv_id else None

    def judge(self, seen: list[JournalEntry] | None) -> Verdict:
        q = self.expect_journal
        desc = f"journal of '{q.of}'" + (": " + " → ".join(q.entries) if q.entries else "")
        if q.absent:
            desc += f" (never {', '.join(q.absent)})"
        if seen is None:
            return Verdict(desc, False, "invocation not found")
        it = iter(seen)
        ok = all(any(w in (e.name, e.type, e.label) for e in it) for w in q.entries)
        bad = [a for a in q.absent if any(a in (e.name, e.type) for e in seen)]
        return Verdict(desc, ok and not bad, "journal: " + " → ".join(e.name or e.type for e in seen))


class InvocationQuery(Strict):
    of: str = Field(description=LABEL_DOC)
    status: str | None = Doc("Its status: 'completed', 'backing-off', 'paused', 'suspended', 'running', …")
    result: Result | None = Doc("'success' or 'failure' (completed invocations).")
    transient_errors: bool | None = Doc("true: it failed at least once and was retried; false: it never failed.")


@dataclass(frozen=True)
class InvocationSeen:
    invocation: Invocation | None
    events: list[JournalEvent]


@action
class ExpectInvocation(Expectation[InvocationSeen]):
    name: ClassVar[str] = "expect_invocation"
    summary: ClassVar[str] = "A labelled invocation's status and result, and whether it was retried."
    example: ClassVar[str] = 'expect_invocation = { of = "trip", status = "completed", result = "success" }'
    expect_invocation: InvocationQuery = Field(description="Which invocation, and what it must be.")

    def refers(self) -> list[tuple[str, str]]:
        return [("of", self.expect_invocation.of)]

    async def observe(self, run: ScenarioRunner) -> InvocationSeen:
        inv = await run.invocation(self.expect_invocation.of)
        wants_events = inv is not None and self.expect_invocation.transient_errors is not None
        return InvocationSeen(inv, await run.sql.journal_events(inv.id) if wants_events and inv else [])

    def judge(self, seen: InvocationSeen) -> Verdict:
        q, inv = self.expect_invocation, seen.invocation
        wanted = " ".join(str(v) for v in (q.status, q.result) if v is not None)
        if q.transient_errors is not None:
            wanted += " after failed attempts" if q.transient_errors else " without failed attempts"
        desc = f"invocation '{q.of}' is {wanted}"
        if inv is None:
            return Verdict(desc, False, "not found")
        problems = []
        if q.status is not None and inv.status != q.status:
            problems.append(f"status {inv.status}")
        if q.result is not None and inv.completion_result != q.result:
            problems.append(f"result {inv.completion_result}")
        if q.transient_errors is not None:
            retried = any(e.type == "TransientError" for e in seen.events) or inv.retry_count > 0
            if retried != q.transient_errors:
                problems.append("transient errors recorded" if retried else "no transient error recorded")
        detail = f"{inv.status} {inv.completion_result or ''} {inv.completion_failure or ''}".strip()
        return Verdict(desc, not problems, "; ".join(problems) or detail)


class InvocationsQuery(Strict):
    target: str = Field(description="An invocation target, like 'product/product1/reserve'.")
    count: int = Field(description="How many invocations of it.", ge=0)
    status: str | None = Doc("Only those with this status.")
    result: Result | None = Doc("Only those with this result.")


@action
class ExpectInvocations(Expectation[list[Invocation]]):
    name: ClassVar[str] = "expect_invocations"
    summary: ClassVar[str] = "How many invocations a target had (optionally of a status or result)."
    example: ClassVar[str] = 'expect_invocations = { target = "product/p1/reserve", count = 3, result = "success" }'
    expect_invocations: InvocationsQuery = Field(description="Which target, and how many.")

    def templated(self) -> list[str]:
        return [self.expect_invocations.target]

    def filled(self, fill: Callable[[str], str]) -> ExpectInvocations:
        query = self.expect_invocations.model_copy(update={"target": fill(self.expect_invocations.target)})
        return self.model_copy(update={"expect_invocations": query})

    async def observe(self, run: ScenarioRunner) -> list[Invocation]:
        from restate_play.restate.introspection import sql_str

        return await run.sql.invocations(f"target = {sql_str(self.expect_invocations.target)}", limit=1000)

    def judge(self, seen: list[Invocation]) -> Verdict:
        q = self.expect_invocations
        rows = [r for r in seen if q.status is None or r.status == q.status]
        rows = [r for r in rows if q.result is None or r.completion_result == q.result]
        cond = "".join(f" {v}" for v in (q.status, q.result) if v is not None)
        return Verdict(f"{q.count}{cond} invocation(s) of {q.target}", len(rows) == q.count, f"{len(rows)} found")
