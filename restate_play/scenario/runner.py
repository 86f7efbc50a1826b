"""Plays a scenario's steps against a running sandbox: each step is an action that plays itself.

The runner is what the actions share: the clients, the labels given to invocations, the values
captured from answers, the result being built. Every wait is bounded; when a bound runs out the
check that fails says what the invocation was doing (`stuck.describe`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shlex
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from restate_play.errors import PlayError
from restate_play.restate.ingress import Ingress, IngressResponse
from restate_play.restate.introspection import Introspection, sql_str
from restate_play.restate.records import Invocation
from restate_play.scenario import entry_wait, nodes
from restate_play.scenario.actions import Action, Expectation, Verdict
from restate_play.scenario.actions.control import Attach, Crash, ResolveAwakeable
from restate_play.scenario.actions.data import Publish
from restate_play.scenario.actions.requests import Expect, Parallel, RequestFields
from restate_play.scenario.model import VAR_RE, Scenario
from restate_play.scenario.result import Check, RunResult
from restate_play.waiting import WaitTimeout, eventually_async
from restate_play.world import ledger
from restate_play.world.ledger import LedgerEntry


class Reporter(Protocol):
    def step(self, step: Action) -> None: ...
    def request(self, req: Any, curl: str) -> None: ...
    def response(self, req: Any, resp: IngressResponse) -> None: ...
    def note(self, text: str) -> None: ...
    def check(self, check: Check) -> None: ...


class SandboxControl(Protocol):
    """What the runner needs from a sandbox (the real one, or a running `serve`)."""

    ledger_path: Any
    client_url: str | None

    def kill_service(self) -> None: ...
    def restart_service(self) -> float: ...
    def kill_server(self) -> None: ...
    def restart_server(self) -> float: ...
    def service_log_tail(self, lines: int) -> list[str]: ...
    def publish(self, topic: str, lines: list[str]) -> list[dict[str, Any]]: ...  # Kafka: key, partition, offset
    def kafka_sinks(self, topic: str) -> list[str]: ...  # the subscriptions' sinks, e.g. service://Svc/handler


@dataclass
class Labelled:
    target: str
    started: float  # wall clock
    task: asyncio.Task[IngressResponse] | None = None
    response: IngressResponse | None = None
    invocation_id: str | None = None
    finished: float | None = None  # wall clock of the answer
    given_up: bool = False  # a wait_for on it ran out: the run does not wait for it again at its end


@dataclass
class Announced:
    """What the reporter is shown for requests that are not a scenario's call/send (attach, publish…)."""

    kind: str
    target: str
    label: str | None = None
    expect: Expect | None = None
    background: bool = False


AWAKEABLE_RE = re.compile(r"awakeables/(sign_[A-Za-z0-9_\-=]+)/resolve")
NOT_OBSERVED = "not observed: this service keeps no ledger (record with restate_play.world.ledger.record)"
END_OF_RUN_WAIT = 30.0  # background requests still in flight when the last step is done


class ScenarioRunner:
    def __init__(
        self,
        scenario: Scenario,
        pattern: str,
        sandbox: SandboxControl,
        ingress: Ingress,
        introspection: Introspection,
        reporter: Reporter,
    ):
        self.scenario = scenario
        self.sandbox = sandbox
        self.ingress = ingress
        self.sql = introspection
        self.reporter = reporter
        self.labels: dict[str, Labelled] = {}
        self.result = RunResult(pattern, scenario.name, scenario.title)
        self._claimed: set[str] = set()
        self.vars: dict[str, str] = {}  # captured from answers (`capture`), used as {name} in targets
        self._published: dict[str, Any] = {}  # label → the Kafka record's JSON value (matched to its invocation)

    # -- running ---------------------------------------------------------------------------------
    async def run(self) -> RunResult:
        t0 = time.monotonic()
        try:
            for step in self.scenario.steps:
                self.reporter.step(step)
                try:
                    await step.filled(self._fill).play(self)
                except PlayError as err:  # the run stops, but its result (and what it saw) is kept
                    self.result.error = f"step {step.number} ({step.action}): {err.message}"
                    self.reporter.note(f"error: {err.message}")
                    break
            await self._finish_background()
        finally:
            for lab in self.labels.values():
                if lab.task and not lab.task.done():
                    lab.task.cancel()
            self.result.timings["scenario"] = time.monotonic() - t0
        return self.result

    async def _finish_background(self) -> None:
        """Background requests still in flight are part of the run: let them finish, within a bound."""
        # One already waited out by a failed wait_for is not waited for again: its check says why.
        pending = {n: lab for n, lab in self.labels.items() if lab.task and not lab.task.done() and not lab.given_up}
        if not pending:
            return
        await asyncio.wait([lab.task for lab in pending.values() if lab.task], timeout=END_OF_RUN_WAIT)
        for name, lab in pending.items():
            if lab.task and not lab.task.done():
                words = await self.what_is_it_doing(lab)
                self.reporter.note(f"'{name}' still has no answer after the last step: {words}")

    def bound(self, step: Action, own: float | None = None) -> float:
        return own if own is not None else step.bound(self.scenario.timeout)

    def record(self, step: Action, verdict: Verdict) -> None:
        check = Check(step.number, verdict.expectation, verdict.ok, verdict.observed)
        self.result.checks.append(check)
        self.reporter.check(check)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def ledger(self) -> list[LedgerEntry]:
        return ledger.read(self.sandbox.ledger_path)

    def ledger_observed(self) -> bool:
        """A pattern records every side effect; other code counts only once it has written an entry:
        an empty ledger from a service that may not record at all proves nothing, either way."""
        return getattr(self.sandbox, "ledger_promised", True) or bool(self.ledger())

    def label_invocation(self, label: str, target: str, invocation_id: str) -> None:
        """An invocation no request of this run started (a restart-as-new) under a label, claimed."""
        self.labels[label] = Labelled(target, time.time(), invocation_id=invocation_id)
        self._claimed.add(invocation_id)

    def answered_at(self, label: str) -> float | None:
        lab = self.labels.get(label)
        return lab.finished if lab else None

    def _fill(self, text: str) -> str:
        """Put the values captured from earlier answers into a step's targets and keys ({name})."""

        def value(match: re.Match[str]) -> str:
            if match.group(1) == "i" and "i" not in self.vars:
                return match.group(0)  # a repeated request's count, filled in by _repeat
            if match.group(1) not in self.vars:
                raise PlayError(f"{{{match.group(1)}}} was not captured from an earlier answer.")
            return self.vars[match.group(1)]

        return VAR_RE.sub(value, text)

    # -- requests --------------------------------------------------------------------------------
    async def send_requests(self, step: Action) -> None:
        requests: list[RequestFields] = step.requests  # type: ignore[attr-defined]
        if len(requests) == 1 and requests[0].repeat > 1:
            await self._repeat(step, requests[0])
            return
        stagger = step.stagger if isinstance(step, Parallel) else 0.0
        tasks = []
        before = 0
        for i, req in enumerate(requests):
            if stagger and i:
                # Start in list order: the next request goes out once Restate has accepted the
                # previous one (and `stagger` seconds passed). Nobody waits for an answer.
                await asyncio.sleep(stagger)
                await self._accepted(requests[i - 1], before)
            before = await self._count(req) if stagger else 0
            lab = Labelled(req.target, time.time(), asyncio.create_task(self._send(req)))
            await asyncio.sleep(0)  # let it announce its curl line within this step
            if req.label:
                self.labels[req.label] = lab
            tasks.append((req, lab))
        answers = []
        for req, lab in tasks:
            if req.background:
                assert lab.task
                lab.task.add_done_callback(lambda t, r=req: self._background_done(step, r, t))
                continue
            resp = await self._answer(step, req, lab)
            if resp is not None:
                answers.append(resp)
                self._after_response(step, req, resp)
        if isinstance(step, Parallel) and (
            verdict := step.judge_count([r.json for r in answers], [r.text for r in answers])
        ):
            self.record(step, verdict)

    async def _answer(self, step: Action, req: RequestFields, lab: Labelled) -> IngressResponse | None:
        """The answer, or None (and a failed check saying what the invocation does) once the bound runs out."""
        assert lab.task
        bound = self.bound(step, req.timeout)
        try:
            return await asyncio.wait_for(asyncio.shield(lab.task), timeout=bound)
        except TimeoutError:
            lab.task.cancel()
            words = await self.what_is_it_doing(lab)
            expectation = f"{req.kind} {req.target} is answered within {bound:g} s"
            self.record(step, Verdict(expectation, False, f"no answer after {bound:g} s: {words}"))
            return None

    async def _repeat(self, step: Action, req: RequestFields) -> None:
        """Like a shell for-loop of curl lines: each request once the previous one was answered."""
        for i in range(1, req.repeat + 1):
            body = req.raw_body.replace("{i}", str(i)) if req.raw_body is not None else None
            key = req.idempotency_key.replace("{i}", str(i)) if req.idempotency_key else None
            one = req.with_target(req.target.replace("{i}", str(i)), idempotency_key=key, body_json=body, repeat=1)
            resp = await self._answer(
                step, one, Labelled(one.target, time.time(), asyncio.create_task(self._send(one)))
            )
            if resp is None:
                return
            self.reporter.response(one, resp)
            expect = req.expect
            # One verdict for the loop: the first answer that breaks the expectation, else the last.
            failed = expect is not None and expect.status is not None and resp.status != expect.status
            if expect is not None and (failed or i == req.repeat):
                self.record(step, expect.judge(f"{req.kind} {req.target} ({i} of {req.repeat})", resp))
            if failed:
                return

    async def _count(self, req: RequestFields) -> int:
        if req.via != "ingress":
            return 0
        rows = await self.sql.query(f"SELECT count(*) AS n FROM sys_invocation WHERE target = {sql_str(req.target)}")
        return int(rows[0]["n"]) if rows else 0

    async def _accepted(self, req: RequestFields, before: int, timeout: float = 5.0) -> None:
        """Until Restate has one more invocation of the request's target (or `timeout`: go on anyway)."""
        if req.via != "ingress":
            return
        with contextlib.suppress(WaitTimeout):
            await eventually_async(
                lambda: self._count(req),
                what=f"Restate to accept {req.target}",
                timeout=timeout,
                interval=0.01,
                until=lambda n: n > before,
            )

    def _background_done(self, step: Action, req: RequestFields, task: asyncio.Task[IngressResponse]) -> None:
        if task.cancelled() or task.exception() is not None:
            return
        self._after_response(step, req, task.result())

    async def _send(self, req: RequestFields) -> IngressResponse:
        kwargs: dict[str, Any] = {
            "idempotency_key": req.idempotency_key,
            "headers": req.headers,
            "raw_body": req.raw_body.encode() if req.raw_body is not None else None,
            "announce": lambda curl: self.reporter.request(req, curl),
        }
        if req.has_body:
            kwargs["body"] = req.body
        if req.via == "client":
            resp = await self._client_call(req, kwargs)
        elif req.kind == "send":
            resp = await self.ingress.send(req.target, delay=req.delay, **kwargs)
        else:
            resp = await self.ingress.call(req.target, **kwargs)
        self.result.requests.append({"target": req.target, "kind": req.kind, "label": req.label, **resp.to_dict()})
        return resp

    async def _client_call(self, req: RequestFields, kwargs: dict[str, Any]) -> IngressResponse:
        if not self.sandbox.client_url:
            raise PlayError("This pattern has no client app to send 'via = \"client\"' requests to.")
        client = Ingress(self.sandbox.client_url, http=self.ingress.http)
        return await client.call(req.target, **kwargs)

    def _after_response(self, step: Action, req: RequestFields, resp: IngressResponse) -> None:
        self.reporter.response(req, resp)
        if req.label and req.label in self.labels:
            lab = self.labels[req.label]
            lab.response = resp
            lab.finished = time.time()
            lab.invocation_id = lab.invocation_id or resp.invocation_id
            if lab.invocation_id:
                self._claimed.add(lab.invocation_id)
        if req.expect:
            self.record(step, req.expect.judge(f"{req.kind} {req.target}", resp, self._first_of(req.expect)))
        for name, pattern in req.capture.items():
            match = re.search(pattern, resp.text)
            if match is None:
                detail = f"/{pattern}/ not in {resp.text[:120]!r}"
                self.record(step, Verdict(f"capture {{{name}}} from the answer", False, detail))
                continue
            self.vars[name] = match.group(1) if match.groups() else match.group(0)
            self.reporter.note(f"{{{name}}} = {self.vars[name]}")

    def _first_of(self, expect: Expect) -> str | None:
        earlier = self.labels.get(expect.same_invocation_as) if expect.same_invocation_as else None
        return earlier.invocation_id if earlier else None

    # -- invocations by label --------------------------------------------------------------------
    async def invocation_id(self, label: str, wait: float = 10.0) -> str | None:
        lab = self.labels.get(label)
        if lab is None:
            return None
        if label in self._published and lab.invocation_id is None:
            return await self._match_published(label, lab, wait)
        return await self._claim(lab, wait)

    async def _claim(
        self, lab: Labelled, wait: float, fits: Callable[[str], Awaitable[bool]] | None = None
    ) -> str | None:
        """The invocation a request started: the first unclaimed one of its target created since (that `fits`)."""

        async def first_unclaimed() -> str | None:
            rows = await self.sql.invocations(f"target = {sql_str(lab.target)}", limit=100, order="created_at ASC")
            for inv in rows:
                fresh = inv.id not in self._claimed and _epoch(inv.created_at) >= lab.started - 1.0
                if fresh and (fits is None or await fits(inv.id)):
                    return inv.id
            return None

        if lab.invocation_id is None:
            with contextlib.suppress(WaitTimeout):
                what = f"an invocation of {lab.target}"
                lab.invocation_id = await eventually_async(first_unclaimed, what=what, timeout=wait, interval=0.05)
                self._claimed.add(lab.invocation_id)
        return lab.invocation_id

    async def invocation(self, label: str) -> Invocation | None:
        inv_id = await self.invocation_id(label)
        return await self.sql.invocation(inv_id) if inv_id else None

    async def what_is_it_doing(self, lab: Labelled) -> str:
        """In words: the state of the invocation behind a request whose wait ran out."""
        inv_id = lab.invocation_id or await self._claim(lab, wait=2.0)
        return await self.describe_invocation(inv_id)

    async def describe_invocation(self, inv_id: str | None) -> str:
        return await entry_wait.describe_invocation(self.sql, inv_id)

    # -- crashes ---------------------------------------------------------------------------------
    async def crash(self, step: Crash) -> None:
        target = step.crash
        if step.after_entry and step.of:
            inv_id = await self.invocation_id(step.of)
            bound = self.bound(step)
            seen, why = await self._wait_entry(inv_id, step.after_entry, bound) if inv_id else (False, "no invocation")
            if not seen:
                reaches = f"journal of '{step.of}' reaches '{step.after_entry}' before the crash"
                self.record(step, Verdict(reaches, False, why))
                return
            when = f"in {step.delay:.2f} s" if step.delay else "now"
            self.reporter.note(f"'{step.after_entry}' is in the journal of {inv_id}: SIGKILL the {target} {when}")
        if step.delay:  # a moment after the crash point (an exercise's seed moves its crash this way)
            await self.sleep(step.delay)
        kill = self.sandbox.kill_service if target == "service" else self.sandbox.kill_server
        extra: dict[str, Any] = {}
        if target == "node":  # one machine of a cluster: by number, or the leader of `of`'s partition
            kill, target, extra = await nodes.killer(self, step)
        await asyncio.to_thread(kill)
        crash = {"target": target, "at": time.time(), "of": step.of, "after_entry": step.after_entry, **extra}
        self.result.crashes.append(crash)
        self.reporter.note(f"💥 {target} killed (SIGKILL)")
        if step.restart_after is not None:
            if step.of and target == "service":
                await self._narrate_retries(step.of, step.restart_after)
            else:
                await asyncio.sleep(step.restart_after)
            await self.restart(target)

    async def _narrate_retries(self, label: str, seconds: float) -> None:
        """While the service is down, show what Restate does with the invocation: retries, the real error."""
        inv_id = await self.invocation_id(label)
        deadline = time.monotonic() + seconds
        last = None
        while time.monotonic() < deadline:
            inv = await self.sql.invocation(inv_id) if inv_id else None
            if inv is not None and inv.retry_count != last and inv.status == "backing-off":
                last = inv.retry_count
                error = (inv.last_failure or "").split(": ", 1)[-1][:90]
                self.reporter.note(f"Restate retries {label}: {inv.status}, attempt {inv.retry_count}: {error}")
            await asyncio.sleep(0.1)

    async def restart(self, target: str) -> None:
        restart = self.sandbox.restart_service if target == "service" else self.sandbox.restart_server
        if target.startswith(nodes.NODE_PREFIX):  # "node 2"
            restart = nodes.restarter(self, target)
        began = time.time()
        took = await asyncio.to_thread(restart)
        for crash in reversed(self.result.crashes):
            if crash["target"] == target and "restarted_at" not in crash:
                # The process may already serve while the restart still registers and resumes: it is
                # back somewhere between the two.
                crash["restart_began_at"], crash["restarted_at"] = began, time.time()
                break
        self.reporter.note(f"♻ {target} restarted in {took:.2f} s")
        self.result.timings[f"restart_{target}"] = took

    async def _wait_entry(self, inv_id: str, name: str, timeout: float) -> tuple[bool, str]:
        """(seen, why not): stops early when the invocation ends without reaching the entry."""
        return await entry_wait.wait_for_entry(self.sql, inv_id, name, timeout)

    # -- waiting ---------------------------------------------------------------------------------
    async def wait_for(self, step: Action, label: str) -> None:
        lab = self.labels.get(label)
        if lab is None:  # e.g. a record published to a topic nobody subscribed to
            self.record(step, Verdict(f"'{label}' completes", False, "nothing was started under this label"))
            return
        bound = self.bound(step)
        deadline = time.monotonic() + bound
        if lab.task and not lab.task.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(lab.task), timeout=bound)
        try:
            left = max(0.0, deadline - time.monotonic())
            await eventually_async(
                lambda: self.invocation(label),
                what=f"'{label}' to complete",
                timeout=left,
                until=lambda inv: inv is not None and inv.done,
            )
            return
        except WaitTimeout:
            words = await self.what_is_it_doing(lab)
        lab.given_up = True
        self.record(step, Verdict(f"'{label}' completes within {bound:g} s", False, words))

    async def attach(self, step: Attach) -> None:
        inv_id = await self.invocation_id(step.attach)
        if inv_id is None:
            self.record(step, Verdict(f"attach to '{step.attach}'", False, "no invocation found"))
            return
        req = Announced("call", f"restate/invocation/{inv_id}/attach")
        bound = self.bound(step)
        try:
            resp = await asyncio.wait_for(
                self.ingress.attach(inv_id, announce=lambda curl: self.reporter.request(req, curl)), timeout=bound
            )
        except TimeoutError:
            words = await self.describe_invocation(inv_id)
            self.record(step, Verdict(f"attach {step.attach} answers within {bound:g} s", False, words))
            return
        self.reporter.response(req, resp)
        self.result.requests.append({"target": req.target, "kind": "attach", "label": step.attach, **resp.to_dict()})
        if step.expect:
            self.record(step, step.expect.judge(f"attach {step.attach}", resp, self._first_of(step.expect)))

    async def settle(self, step: Expectation) -> None:
        """Expectations describe where the system settles: poll until it holds or the bound runs out."""

        async def verdict() -> Verdict:
            held = step.judge(await step.observe(self))
            if step.reads_ledger and not self.ledger_observed():
                return Verdict(held.expectation, False, NOT_OBSERVED)
            return held

        try:
            held = await eventually_async(verdict, what=step.name, timeout=self.bound(step), until=lambda v: v.ok)
        except WaitTimeout as timeout:
            held = timeout.last
        self.record(step, held)

    # -- Kafka, awakeables, the pattern's database ----------------------------------------------
    async def publish(self, step: Publish) -> None:
        """Keyed records to a Kafka topic; Restate's subscription turns each into an invocation."""
        topic, records, labels = step.publish, step.records, step.record_labels
        for record in records:
            line = f"restate-play kafka publish {topic} {shlex.quote(record)}"
            self.reporter.request(Announced("publish", f"kafka://{topic}"), line)
        started = time.time()
        published = await asyncio.to_thread(self.sandbox.publish, topic, records)
        for p in published:
            self.reporter.note(f"{p['key']} → {topic} partition {p['partition']} offset {p['offset']}")
            self.result.requests.append({"target": f"kafka://{topic}", "kind": "publish", "label": None, **p})
        sinks = [s.removeprefix("service://").split("/") for s in self.sandbox.kafka_sinks(topic)]
        if len(sinks) != 1 and any(labels):
            expectation = f"one Restate subscription to '{topic}' turns the records into invocations"
            observed = f"{len(sinks)} subscription(s): the labelled records' invocations cannot be followed"
            self.record(step, Verdict(expectation, False, observed))
        keyed = len(sinks) == 1 and await self._keyed(sinks[0][0])
        for label, p in zip(labels, published, strict=True):
            if not label or len(sinks) != 1:
                continue
            service, handler = sinks[0]
            # The Kafka key is the Virtual Object key: the record's invocation is Svc/<key>/handler
            # (a plain Service's is Svc/handler: its records are told apart by their input).
            target = f"{service}/{p['key']}/{handler}" if keyed else f"{service}/{handler}"
            self.labels[label] = Labelled(target, started)
            self._published[label] = json.loads(p["value"])

    async def _keyed(self, service: str) -> bool:
        """Whether a subscription's sink has keys (a Virtual Object, a Workflow), not a plain Service."""
        rows = await self.sql.services()
        return next((str(r.get("ty", "")).lower() for r in rows if r.get("name") == service), "") != "service"

    async def _match_published(self, label: str, lab: Labelled, wait: float) -> str | None:
        """A record's invocation: same target, and its journal's input is the record's value.

        Records of one key are created in the same millisecond, so creation order cannot tell them
        apart; a queued one has no journal until the previous record's invocation is done.
        """
        value = self._published[label]
        return await self._claim(lab, wait, fits=lambda inv_id: self._input_is(inv_id, value))

    async def _input_is(self, inv_id: str, value: Any) -> bool:
        entries = await self.sql.journal(inv_id)
        given = next((e.value for e in entries if e.kind == "Command" and e.type == "Input"), None)
        try:
            return given is not None and json.loads(given) == value
        except ValueError:
            return False

    async def resolve_awakeable(self, step: ResolveAwakeable) -> None:
        awakeable_id: str | None = step.resolve_awakeable
        if awakeable_id == "from_log":
            try:
                awakeable_id = await eventually_async(
                    self._logged_awakeable, what="an awakeable id in the service log", timeout=self.bound(step)
                )
            except WaitTimeout:
                self.record(step, Verdict("the service logs an awakeable to resolve", False, "none seen"))
                return
        req = Announced("call", f"restate/awakeables/{awakeable_id}/resolve")
        resp = await self.ingress.resolve_awakeable(
            awakeable_id, step.value, announce=lambda curl: self.reporter.request(req, curl)
        )
        self.reporter.response(req, resp)
        self.result.requests.append(
            {"target": req.target, "kind": "resolve_awakeable", "label": None, **resp.to_dict()}
        )

    def _logged_awakeable(self) -> str | None:
        found = AWAKEABLE_RE.findall("\n".join(self.sandbox.service_log_tail(200)))
        return found[-1] if found else None

    async def sql_rows(self, query: str) -> list[dict[str, Any]]:
        from restate_play.sandbox.sql_rows import fetch_rows

        url = getattr(self.sandbox, "database_url", None)
        if not url:
            raise PlayError("'sql' and 'expect_sql' steps need a pattern with a database (needs = {\"postgres\"}).")
        return await asyncio.to_thread(fetch_rows, url, query)


def _epoch(iso: str | None) -> float:
    if not iso:
        return 0.0
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0
