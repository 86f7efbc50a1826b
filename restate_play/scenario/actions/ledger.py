"""expect_ledger, expect_concurrency, expect_spans: checks on what the outside world saw (the ledger)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, model_validator

from restate_play.scenario.actions.base import Doc, Expectation, Strict, Verdict, action, problem
from restate_play.world.ledger import LedgerEntry

if TYPE_CHECKING:
    from restate_play.scenario.runner import ScenarioRunner

WHERE_DOC = "Only entries whose arguments have these values: a table of argument → value."


def _where(where: dict[str, Any]) -> str:
    return f" where {json.dumps(where)}" if where else ""


class Gaps(Strict):
    first: int | None = Doc("How many entries happen together at the start (with within).", ge=1)
    within: float | None = Doc("…within this many seconds of each other.", ge=0)
    min: float | None = Doc("Every later gap is at least this many seconds.", ge=0)
    max: float | None = Doc("Every later gap is at most this many seconds.", ge=0)

    @model_validator(mode="after")
    def _paired(self) -> Gaps:
        if (self.within is None) != (self.first is None):
            raise problem("within", "'first' and 'within' together: the first N entries within s seconds")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise problem("max", f"at least min ({self.min})", self.max)
        if all(v is None for v in (self.first, self.within, self.min, self.max)):
            raise problem("gaps", "a table { first = N, within = s, min = s, max = s }")
        return self

    def describe(self) -> str:
        parts = [f"the first {self.first} within {self.within} s"] if self.within is not None else []
        if self.min is not None or self.max is not None:
            apart = f"{self.min or 0}–{self.max} s" if self.max is not None else f"≥ {self.min} s"
            parts.append(f"then {apart} apart")
        return " and ".join(parts)

    def check(self, times: list[float]) -> tuple[list[str], str]:
        """Pure: (problems, what was seen) for sorted entry times."""
        first = self.first or 1
        problems, seen = [], []
        if self.within is not None:
            if len(times) < first:
                problems.append(f"only {len(times)} entries, expected the first {first} together")
            else:
                spread = times[first - 1] - times[0]
                seen.append(f"first {first} within {spread:.3f} s")
                if spread > self.within:
                    problems.append(f"the first {first} took {spread:.3f} s (> {self.within} s)")
        later = [b - a for a, b in zip(times[first - 1 :], times[first:], strict=False)]
        if self.min is not None or self.max is not None:
            if not later:
                problems.append(f"{len(times)} entries: no gap after the first {first} to measure")
            else:
                seen.append("then gaps of " + ", ".join(f"{g:.3f}" for g in later) + " s")
                if self.min is not None and min(later) < self.min:
                    problems.append(f"a gap of {min(later):.3f} s (< {self.min} s)")
                if self.max is not None and max(later) > self.max:
                    problems.append(f"a gap of {max(later):.3f} s (> {self.max} s)")
        return problems, "; ".join(seen) or "no timing seen"


class LedgerQuery(Strict):
    action: str | None = Doc("A ledger action name, like 'flight.book'.")
    where: dict[str, Any] = Doc(WHERE_DOC, default_factory=dict)
    count: int | None = Doc("Exactly this many matching entries.", ge=0)
    at_least: int | None = Doc("At least this many.", ge=0)
    at_most: int | None = Doc("At most this many (alone or with at_least).", ge=0)
    order: list[str] | None = Doc("Ledger action names, in the order they must happen (not with count).")
    field: str | None = Doc("An argument name: its values across the matching entries must equal 'values'.")
    values: list[Any] | None = Doc("The list of 'field' across the matching entries, in order.")
    flat: bool | None = Doc("With field: concatenate list values before comparing.")
    among_first: int | None = Doc("Every matching entry is among the first N entries of its action.")
    since: str | None = Doc("Only entries after this label's answer arrived.")
    gaps: Gaps | None = Doc("Timing of the matching entries: { first, within, min, max } in seconds.")
    after_restart: float | None = Doc(
        "Every matching entry comes after the run's last restart (of a crash step), at most this many seconds "
        "after it: a wait that did not start over.",
        gt=0,
    )

    @model_validator(mode="after")
    def _one_question(self) -> LedgerQuery:
        if self.order is not None:
            if self.count is not None or self.at_least is not None:
                raise problem("order", "either 'order' or 'count'/'at_least', not both")
            if self.gaps is not None:
                raise problem("gaps", "timing of one action's entries, not with 'order'")
        elif self.action is None:
            raise problem("action", "a ledger action name, like 'flight.book'")
        if (self.field is None) != (self.values is None) or (self.flat is not None and self.field is None):
            raise problem("field", "'field' and 'values' together (the list of that argument across entries)")
        if self.order is None and all(
            v is None for v in (self.count, self.at_least, self.at_most, self.values, self.among_first)
        ):
            raise problem("count", "'count' (exact), 'at_least', 'at_most', 'among_first' or 'field'/'values'")
        if self.at_most is not None and (self.count is not None or self.order is not None):
            raise problem("at_most", "'at_most' alone or with 'at_least', not with 'count' or 'order'")
        return self


@dataclass(frozen=True)
class LedgerSeen:
    entries: list[LedgerEntry]
    since_answered: float | None = None  # wall clock of the `since` label's answer, if it has one
    restarted: tuple[float, float] | None = None  # wall clock of the run's last restart: (began, done)


@action
class ExpectLedger(Expectation[LedgerSeen]):
    name: ClassVar[str] = "expect_ledger"
    summary: ClassVar[str] = "The world's ledger: counts, order, argument values, timing of side effects."
    example: ClassVar[str] = 'expect_ledger = { action = "flight.book", where = { customer = "12345" }, count = 1 }'
    reads_ledger: ClassVar[bool] = True
    expect_ledger: LedgerQuery = Field(description="What the ledger must show.")

    def refers(self) -> list[tuple[str, str]]:
        return [("since", self.expect_ledger.since)] if self.expect_ledger.since else []

    async def observe(self, run: ScenarioRunner) -> LedgerSeen:
        since = self.expect_ledger.since
        restarts = [(c["restart_began_at"], c["restarted_at"]) for c in run.result.crashes if "restarted_at" in c]
        restarted = max(restarts, key=lambda r: r[1], default=None)
        return LedgerSeen(run.ledger(), run.answered_at(since) if since else None, restarted)

    def judge(self, seen: LedgerSeen) -> Verdict:
        q = self.expect_ledger
        entries, suffix, problems = seen.entries, "", []
        if q.since is not None:
            entries = [e for e in entries if seen.since_answered is not None and e.ts > seen.since_answered]
            suffix += f", after '{q.since}' was answered"
            problems += [] if seen.since_answered is not None else [f"'{q.since}' has no answer yet"]
        verdict = judge_ledger(q, entries)
        observed = verdict.observed
        if q.gaps is not None:
            times = sorted(e.ts for e in entries if e.matches(q.action or "", **q.where))
            gap_problems, shown = q.gaps.check(times)
            problems += gap_problems
            suffix += f", {q.gaps.describe()}"
            observed += f"; {shown}"
        if q.after_restart is not None:
            times = sorted(e.ts for e in entries if e.matches(q.action or "", **q.where))
            problems += _after_restart(q.after_restart, times, seen.restarted)
            suffix += f", each ≤ {q.after_restart} s after the last restart"
        return Verdict(verdict.expectation + suffix, verdict.ok and not problems, "; ".join([observed, *problems]))


def _after_restart(bound: float, times: list[float], restarted: tuple[float, float] | None) -> list[str]:
    """Pure: what is wrong with entries at `times` for 'each within `bound` s after the restart'.

    The service may already serve (and Restate retry into it) while the restart still registers
    and resumes: an entry counts as after the restart from its beginning, timed from its end."""
    if restarted is None:
        return ["nothing was restarted"]
    if not times:
        return ["no entry to time"]
    began, done = restarted
    if min(times) < began:
        return [f"one came {began - min(times):.3f} s before the restart"]
    late = max(times) - done
    return [f"one came {late:.3f} s after the restart (> {bound} s)"] if late > bound else []


def judge_ledger(q: LedgerQuery, entries: list[LedgerEntry]) -> Verdict:
    """Pure: order, argument values, rank or counts of the entries matching the query."""
    cond = _where(q.where)
    if q.order is not None:
        seen = [e.action for e in entries if e.action in set(q.order) and e.matches(e.action, **q.where)]
        return Verdict(
            f"world ledger{cond}: " + " → ".join(q.order), seen == q.order, "saw " + (" → ".join(seen) or "nothing")
        )
    action = q.action or ""
    matching = [e for e in entries if e.matches(action, **q.where)]
    if q.field is not None:
        got = [e.args.get(q.field) for e in matching]
        if q.flat:
            got = [v for value in got for v in (value if isinstance(value, list) else [value])]
        shown = json.dumps(q.values)[:120]
        return Verdict(
            f"world ledger: {action}{cond} {q.field} = {shown}", got == q.values, "saw " + json.dumps(got)[:400]
        )
    if q.among_first is not None:
        return _among_first(q, entries)
    n = len(matching)
    if q.count is not None:
        return Verdict(f"world ledger: {action}{cond} happened {q.count}×", n == q.count, f"{n}×")
    if q.at_most is not None:
        low = q.at_least or 0
        return Verdict(f"world ledger: {action}{cond} happened {low}–{q.at_most}×", low <= n <= q.at_most, f"{n}×")
    return Verdict(f"world ledger: {action}{cond} happened ≥ {q.at_least}×", n >= (q.at_least or 0), f"{n}×")


def _among_first(q: LedgerQuery, entries: list[LedgerEntry]) -> Verdict:
    """Every entry matching `where` is among the first N of its action (a priority queue's promise)."""
    action, first = q.action or "", q.among_first or 0
    of_action = [e for e in entries if e.action == action]
    ranks = [i for i, e in enumerate(of_action, start=1) if e.matches(action, **q.where)]
    ok = bool(ranks) and max(ranks) <= first and (q.count is None or q.count == len(ranks))
    desc = f"world ledger: every {action}{_where(q.where)} is among the first {first} {action}"
    if q.count is not None:
        desc += f" ({q.count} of them)"
    return Verdict(desc, ok, f"{len(ranks)} at positions {', '.join(map(str, ranks)) or 'none'} of {len(of_action)}")


class ConcurrencyQuery(Strict):
    start: str = Field(description="The ledger action that marks one more running.")
    end: str = Field(description="The ledger action that marks one fewer running.")
    where: dict[str, Any] = Doc(WHERE_DOC, default_factory=dict)
    at_most: int | None = Doc("Never more than this many at once.", ge=0)
    reaches: int | None = Doc("That many at once, at some moment.", ge=0)

    @model_validator(mode="after")
    def _bound(self) -> ConcurrencyQuery:
        if self.at_most is None and self.reaches is None:
            raise problem("at_most", "'at_most' (never more at once) and/or 'reaches' (that many at once, once)")
        return self


@action
class ExpectConcurrency(Expectation[list[LedgerEntry]]):
    name: ClassVar[str] = "expect_concurrency"
    summary: ClassVar[str] = "How many ran at once: +1 at each start entry, -1 at each end, in ledger order."
    example: ClassVar[str] = 'expect_concurrency = { start = "task.start", end = "task.end", at_most = 2 }'
    reads_ledger: ClassVar[bool] = True
    expect_concurrency: ConcurrencyQuery = Field(description="The start/end actions and the bound.")

    async def observe(self, run: ScenarioRunner) -> list[LedgerEntry]:
        return run.ledger()

    def judge(self, seen: list[LedgerEntry]) -> Verdict:
        q = self.expect_concurrency
        running = peak = 0
        for e in seen:
            if e.matches(q.start, **q.where):
                running += 1
                peak = max(peak, running)
            elif e.matches(q.end, **q.where):
                running -= 1
        wanted, ok = [], True
        if q.at_most is not None:
            wanted.append(f"never more than {q.at_most}")
            ok = ok and peak <= q.at_most
        if q.reaches is not None:
            wanted.append(f"{q.reaches} at some moment")
            ok = ok and peak >= q.reaches
        desc = f"world ledger: running at once ({q.start} → {q.end}): " + ", ".join(wanted)
        return Verdict(desc, ok, f"at most {peak} at once")


class SpansQuery(Strict):
    start: str = Field(description="The ledger action that opens a span.")
    end: str = Field(description="The ledger action that closes it.")
    by: str = Field(description="The argument naming each span (pairs a start with its end).")
    where: dict[str, Any] = Doc(WHERE_DOC, default_factory=dict)
    count: int | None = Doc("How many complete spans.", ge=0)
    concurrent: bool | None = Doc("true: all spans share a moment; false: none overlap.")
    max_ratio: float | None = Doc("Wall time ÷ sum of the spans' durations at most this.", gt=0)


@action
class ExpectSpans(Expectation[list[LedgerEntry]]):
    name: ClassVar[str] = "expect_spans"
    summary: ClassVar[str] = "Time spans in the ledger (start → end, paired by an argument): overlap and count."
    example: ClassVar[str] = (
        'expect_spans = { start = "work.start", end = "work.done", by = "task", concurrent = true }'
    )
    reads_ledger: ClassVar[bool] = True
    expect_spans: SpansQuery = Field(description="The spans and what they must show.")

    async def observe(self, run: ScenarioRunner) -> list[LedgerEntry]:
        return run.ledger()

    def judge(self, seen: list[LedgerEntry]) -> Verdict:
        q = self.expect_spans
        done = _spans(q, seen)
        wanted, problems = [], []
        if q.count is not None:
            wanted.append(f"{q.count} spans")
            if len(done) != q.count:
                problems.append(f"{len(done)} complete spans")
        detail = ", ".join(f"{k} {end - start:.2f} s" for k, (start, end) in done.items()) or "no spans"
        if done:
            detail += _overlap(q, list(done.values()), wanted, problems)
        desc = f"world ledger spans {q.start} → {q.end} by {q.by}: " + ", ".join(wanted)
        return Verdict(desc, bool(done) and not problems, "; ".join(problems + [detail]))


def _spans(q: SpansQuery, entries: list[LedgerEntry]) -> dict[Any, tuple[float, float]]:
    spans: dict[Any, list[float]] = {}
    for e in entries:
        key = e.args.get(q.by)
        if e.matches(q.start, **q.where) and key not in spans:
            spans[key] = [e.ts]
        elif e.matches(q.end, **q.where) and len(spans.get(key, [])) == 1:
            spans[key].append(e.ts)
    return {k: (v[0], v[1]) for k, v in spans.items() if len(v) == 2}


def _overlap(q: SpansQuery, spans: list[tuple[float, float]], wanted: list[str], problems: list[str]) -> str:
    first = min(start for start, _ in spans)
    last_start = max(start for start, _ in spans)
    first_end = min(end for _, end in spans)
    wall = max(end for _, end in spans) - first
    total = sum(end - start for start, end in spans)
    if q.concurrent is True:
        wanted.append("all running at once")
        if last_start >= first_end:
            problems.append(f"the last started {last_start - first_end:.2f} s after the first ended")
    elif q.concurrent is False:
        wanted.append("one after the other")
        ordered = sorted(spans)
        if any(b[0] < a[1] for a, b in zip(ordered, ordered[1:], strict=False)):
            problems.append("some overlap")
    if q.max_ratio is not None:
        wanted.append(f"wall ≤ {q.max_ratio:g} × sum")
        if total <= 0 or wall / total > q.max_ratio:
            problems.append(f"wall = {wall / total if total else 0:.2f} × sum")
    return f"; wall {wall:.2f} s, sum {total:.2f} s"
