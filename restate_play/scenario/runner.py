"""Plays a scenario's steps against a running sandbox and checks its expectations."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import shlex
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from restate_play.errors import PlayError
from restate_play.restate.ingress import Ingress, IngressResponse
from restate_play.restate.introspection import Introspection, sql_str
from restate_play.restate.records import Invocation, pretty_value
from restate_play.scenario.model import VAR_RE, Expect, Request, Scenario, Step
from restate_play.scenario.result import Check, RunResult
from restate_play.world import ledger


class Reporter(Protocol):
    def step(self, step: Step) -> None: ...
    def request(self, req: Request, curl: str) -> None: ...
    def response(self, req: Request, resp: IngressResponse) -> None: ...
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


AWAKEABLE_RE = re.compile(r"awakeables/(sign_[A-Za-z0-9_\-=]+)/resolve")


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
                    await self._play(step)
                except PlayError as err:  # the run stops, but its result (and what it saw) is kept
                    self.result.error = f"step {step.number} ({step.action}): {err.message}"
                    self.reporter.note(f"error: {err.message}")
                    break
            # Background requests still in flight are part of the run: let them finish.
            pending = [lab.task for lab in self.labels.values() if lab.task and not lab.task.done()]
            if pending:
                await asyncio.wait(pending, timeout=30)
        finally:
            for lab in self.labels.values():
                if lab.task and not lab.task.done():
                    lab.task.cancel()
            self.result.timings["scenario"] = time.monotonic() - t0
        return self.result

    async def _play(self, step: Step) -> None:
        step = self._fill(step)
        action = step.action
        if action in ("call", "send", "parallel"):
            await self._requests(step)
        elif action == "crash":
            await self._crash(step)
        elif action == "restart":
            await self._restart(step.target or "service")
        elif action == "wait":
            await asyncio.sleep(step.seconds or 0)
        elif action == "wait_for":
            await self._wait_for(step)
        elif action == "attach":
            await self._attach(step)
        elif action == "resolve_awakeable":
            await self._resolve_awakeable(step)
        elif action == "publish":
            await self._publish(step)
        elif action == "expect_state":
            await self._eventually(step, self._check_state)
        elif action == "expect_ledger":
            await self._eventually(step, self._check_ledger)
        elif action == "expect_journal":
            await self._eventually(step, self._check_journal)
        elif action == "expect_invocation":
            await self._eventually(step, self._check_invocation)
        elif action == "expect_invocations":
            await self._eventually(step, self._check_invocations)
        elif action == "sql":
            await self._show_sql(step)
        elif action == "expect_sql":
            await self._eventually(step, self._check_sql)
        elif action == "expect_spans":
            await self._eventually(step, self._check_spans)
        elif action == "expect_concurrency":
            await self._eventually(step, self._check_concurrency)

    # -- requests --------------------------------------------------------------------------------
    async def _requests(self, step: Step) -> None:
        if len(step.requests) == 1 and step.requests[0].repeat > 1:
            await self._repeat(step, step.requests[0])
            return
        tasks = []
        before = 0
        for i, req in enumerate(step.requests):
            if step.stagger and i:
                # Start in list order: the next request goes out once Restate has accepted the
                # previous one (and `stagger` seconds passed). Nobody waits for an answer.
                await asyncio.sleep(step.stagger)
                await self._accepted(step.requests[i - 1], before)
            before = await self._count(req) if step.stagger else 0
            task = asyncio.create_task(self._send(req))
            await asyncio.sleep(0)  # let it announce its curl line within this step
            if req.label:
                self.labels[req.label] = Labelled(req.target, time.time(), task)
            tasks.append((req, task))
        responses = []
        for req, task in tasks:
            if req.background:
                task.add_done_callback(lambda t, r=req: self._background_done(step, r, t))
                continue
            resp = await task
            responses.append(resp)
            self._after_response(step, req, resp)
        if step.expect_count:
            want, n = step.expect_count["body"], step.expect_count["count"]
            got = sum(1 for r in responses if r.json == want)
            bodies = ", ".join(sorted({r.text for r in responses}))
            self._record(
                Check(
                    step.number,
                    f"exactly {n} of {len(responses)} answers are {json.dumps(want)}",
                    got == n,
                    f"{got} were (answers: {bodies})",
                )
            )

    async def _repeat(self, step: Step, req: Request) -> None:
        """Like a shell for-loop of curl lines: each request once the previous one was answered."""
        for i in range(1, req.repeat + 1):
            body = req.raw_body.replace("{i}", str(i)) if req.raw_body is not None else None
            key = req.idempotency_key.replace("{i}", str(i)) if req.idempotency_key else None
            target = req.target.replace("{i}", str(i))
            one = dataclasses.replace(req, target=target, idempotency_key=key, raw_body=body, repeat=1)
            resp = await self._send(one)
            self.reporter.response(one, resp)
            expect = req.expect
            # One verdict for the loop: the first answer that breaks the expectation, else the last.
            failed = expect is not None and expect.status is not None and resp.status != expect.status
            if expect is not None and (failed or i == req.repeat):
                self._check_response(step, f"{req.kind} {req.target} ({i} of {req.repeat})", expect, resp)
            if failed:
                return

    async def _count(self, req: Request) -> int:
        if req.via != "ingress":
            return 0
        rows = await self.sql.query(f"SELECT count(*) AS n FROM sys_invocation WHERE target = {sql_str(req.target)}")
        return int(rows[0]["n"]) if rows else 0

    async def _accepted(self, req: Request, before: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while req.via == "ingress" and time.monotonic() < deadline and await self._count(req) <= before:
            await asyncio.sleep(0.01)

    def _background_done(self, step: Step, req: Request, task: asyncio.Task[IngressResponse]) -> None:
        if task.cancelled() or task.exception() is not None:
            return
        self._after_response(step, req, task.result())

    async def _send(self, req: Request) -> IngressResponse:
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

    async def _client_call(self, req: Request, kwargs: dict[str, Any]) -> IngressResponse:
        if not self.sandbox.client_url:
            raise PlayError("This pattern has no client app to send 'via = \"client\"' requests to.")
        client = Ingress(self.sandbox.client_url, http=self.ingress.http)
        return await client.call(req.target, **kwargs)

    def _after_response(self, step: Step, req: Request, resp: IngressResponse) -> None:
        self.reporter.response(req, resp)
        if req.label and req.label in self.labels:
            lab = self.labels[req.label]
            lab.response = resp
            lab.finished = time.time()
            lab.invocation_id = lab.invocation_id or resp.invocation_id
            if lab.invocation_id:
                self._claimed.add(lab.invocation_id)
        if req.expect:
            self._check_response(step, f"{req.kind} {req.target}", req.expect, resp)
        for name, pattern in req.capture.items():
            match = re.search(pattern, resp.text)
            if match is None:
                detail = f"/{pattern}/ not in {resp.text[:120]!r}"
                self._record(Check(step.number, f"capture {{{name}}} from the answer", False, detail))
                continue
            self.vars[name] = match.group(1) if match.groups() else match.group(0)
            self.reporter.note(f"{{{name}}} = {self.vars[name]}")

    def _fill(self, step: Step) -> Step:
        """Put the values captured from earlier answers into this step's targets and keys ({name})."""

        def fill(text: str) -> str:
            def value(match: re.Match[str]) -> str:
                if match.group(1) == "i" and "i" not in self.vars:
                    return match.group(0)  # a repeated request's count, filled in by _repeat
                if match.group(1) not in self.vars:
                    raise PlayError(f"{{{match.group(1)}}} was not captured from an earlier answer.")
                return self.vars[match.group(1)]

            return VAR_RE.sub(value, text)

        requests = [dataclasses.replace(r, target=fill(r.target)) for r in step.requests]
        args = {k: fill(v) if k in ("target", "key") and isinstance(v, str) else v for k, v in step.args.items()}
        return dataclasses.replace(step, requests=requests, args=args)

    def _check_response(self, step: Step, what: str, expect: Expect, resp: IngressResponse) -> None:
        problems = []
        if expect.status is not None and resp.status != expect.status:
            problems.append(f"status {resp.status}, expected {expect.status}")
        if expect.has_body and resp.json != expect.body and resp.text != expect.body:
            problems.append(f"body {resp.text[:200]!r}, expected {json.dumps(expect.body)}")
        if expect.body_contains is not None and expect.body_contains not in resp.text:
            problems.append(f"body {resp.text[:200]!r} lacks {expect.body_contains!r}")
        if expect.invocation_status is not None:
            got = (resp.json or {}).get("status") if isinstance(resp.json, dict) else None
            if got != expect.invocation_status:
                problems.append(f"send status {got!r}, expected {expect.invocation_status!r}")
        if expect.same_invocation_as is not None:
            earlier = self.labels.get(expect.same_invocation_as)
            first = earlier.invocation_id if earlier else None
            if not first or resp.invocation_id != first:
                problems.append(f"invocation {resp.invocation_id}, expected {first} ('{expect.same_invocation_as}')")
        wanted = []
        if expect.status is not None:
            wanted.append(str(expect.status))
        if expect.has_body:
            wanted.append(json.dumps(expect.body))
        if expect.body_contains:
            wanted.append(f"…{expect.body_contains}…")
        if expect.invocation_status:
            wanted.append(expect.invocation_status)
        if expect.same_invocation_as:
            wanted.append(f"same invocation as '{expect.same_invocation_as}'")
        desc = f"{what} → {' '.join(wanted)}"
        self._record(
            Check(step.number, desc, not problems, "; ".join(problems) or f"got {resp.status} {resp.text[:120]}")
        )

    # -- invocations by label --------------------------------------------------------------------
    async def invocation_id(self, label: str, wait: float = 10.0) -> str | None:
        lab = self.labels.get(label)
        if lab is None:
            return None
        if label in self._published and lab.invocation_id is None:
            return await self._match_published(label, lab, wait)
        deadline = time.monotonic() + wait
        while lab.invocation_id is None and time.monotonic() < deadline:
            target = lab.target
            rows = await self.sql.invocations(f"target = {sql_str(target)}", limit=50, order="created_at ASC")
            for inv in rows:
                if inv.id in self._claimed or _epoch(inv.created_at) < lab.started - 1.0:
                    continue
                lab.invocation_id = inv.id
                self._claimed.add(inv.id)
                break
            if lab.invocation_id is None:
                await asyncio.sleep(0.05)
        return lab.invocation_id

    async def _invocation(self, label: str) -> Invocation | None:
        inv_id = await self.invocation_id(label)
        return await self.sql.invocation(inv_id) if inv_id else None

    # -- crashes ---------------------------------------------------------------------------------
    async def _crash(self, step: Step) -> None:
        target = step.target or "service"
        if step.after_entry and step.of:
            inv_id = await self.invocation_id(step.of)
            seen, why = (
                await self._wait_entry(inv_id, step.after_entry, step.timeout) if inv_id else (False, "no invocation")
            )
            if not seen:
                reaches = f"journal of '{step.of}' reaches '{step.after_entry}' before the crash"
                self._record(Check(step.number, reaches, False, why))
                return
            self.reporter.note(f"'{step.after_entry}' is in the journal of {inv_id}: SIGKILL the {target} now")
        kill = self.sandbox.kill_service if target == "service" else self.sandbox.kill_server
        await asyncio.to_thread(kill)
        crash = {"target": target, "at": time.time(), "of": step.of, "after_entry": step.after_entry}
        self.result.crashes.append(crash)
        self.reporter.note(f"💥 {target} killed (SIGKILL)")
        if step.restart_after is not None:
            if step.of and target == "service":
                await self._narrate_retries(step.of, step.restart_after)
            else:
                await asyncio.sleep(step.restart_after)
            await self._restart(target)

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

    async def _restart(self, target: str) -> None:
        restart = self.sandbox.restart_service if target == "service" else self.sandbox.restart_server
        took = await asyncio.to_thread(restart)
        for crash in reversed(self.result.crashes):
            if crash["target"] == target and "restarted_at" not in crash:
                crash["restarted_at"] = time.time()
                break
        self.reporter.note(f"♻ {target} restarted in {took:.2f} s")
        self.result.timings[f"restart_{target}"] = took

    async def _wait_entry(self, inv_id: str, name: str, timeout: float) -> tuple[bool, str]:
        """(seen, why not): stops early when the invocation ends without reaching the entry."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            entries = [e for e in await self.sql.journal(inv_id) if e.kind == "Command"]
            if any((e.name == name or e.type == name) and e.completed for e in entries):
                return True, ""
            inv = await self.sql.invocation(inv_id)
            if inv is not None and inv.done:
                names = ", ".join(dict.fromkeys(f"'{e.name or e.type}'" for e in entries)) or "none"
                return False, f"it ended ({inv.status}) without it; its journal's steps: {names}"
            await asyncio.sleep(0.02)
        return False, f"not seen within {timeout:.0f} s"

    # -- waiting ---------------------------------------------------------------------------------
    async def _wait_for(self, step: Step) -> None:
        assert step.of
        lab = self.labels.get(step.of)
        if lab is None:  # e.g. a record published to a topic nobody subscribed to
            self._record(Check(step.number, f"'{step.of}' completes", False, "nothing was started under this label"))
            return
        if lab.task and not lab.task.done():
            try:
                await asyncio.wait_for(asyncio.shield(lab.task), timeout=step.timeout)
            except TimeoutError:
                pass
        deadline = time.monotonic() + step.timeout
        while time.monotonic() < deadline:
            inv = await self._invocation(step.of)
            if inv and inv.done:
                return
            await asyncio.sleep(0.1)
        self._record(Check(step.number, f"'{step.of}' completes", False, f"still running after {step.timeout:.0f} s"))

    async def _attach(self, step: Step) -> None:
        assert step.of
        inv_id = await self.invocation_id(step.of)
        if inv_id is None:
            self._record(Check(step.number, f"attach to '{step.of}'", False, "no invocation found"))
            return
        req = Request("call", f"restate/invocation/{inv_id}/attach", label=None)
        resp = await self.ingress.attach(inv_id, announce=lambda curl: self.reporter.request(req, curl))
        self.reporter.response(req, resp)
        self.result.requests.append({"target": req.target, "kind": "attach", "label": step.of, **resp.to_dict()})
        if step.expect:
            self._check_response(step, f"attach {step.of}", step.expect, resp)

    async def _publish(self, step: Step) -> None:
        """Keyed records to a Kafka topic; Restate's subscription turns each into an invocation."""
        topic, records, labels = step.args["topic"], step.args["records"], step.args["labels"]
        for record in records:
            line = f"restate-play kafka publish {topic} {shlex.quote(record)}"
            self.reporter.request(Request("publish", f"kafka://{topic}"), line)
        started = time.time()
        published = await asyncio.to_thread(self.sandbox.publish, topic, records)
        for p in published:
            self.reporter.note(f"{p['key']} → {topic} partition {p['partition']} offset {p['offset']}")
            self.result.requests.append({"target": f"kafka://{topic}", "kind": "publish", "label": None, **p})
        sinks = [s.removeprefix("service://").split("/") for s in self.sandbox.kafka_sinks(topic)]
        if len(sinks) != 1 and any(labels):
            self._record(
                Check(
                    step.number,
                    f"one Restate subscription to '{topic}' turns the records into invocations",
                    False,
                    f"{len(sinks)} subscription(s): the labelled records' invocations cannot be followed",
                )
            )
        for label, p in zip(labels, published, strict=True):
            if not label or len(sinks) != 1:
                continue
            service, handler = sinks[0]
            # The Kafka key is the Virtual Object key: the record's invocation is Svc/<key>/handler.
            self.labels[label] = Labelled(f"{service}/{p['key']}/{handler}", started)
            self._published[label] = json.loads(p["value"])

    async def _match_published(self, label: str, lab: Labelled, wait: float) -> str | None:
        """A record's invocation: same target, and its journal's input is the record's value.

        Records of one key are created in the same millisecond, so creation order cannot tell them
        apart; a queued one has no journal until the previous record's invocation is done.
        """
        deadline = time.monotonic() + wait
        while lab.invocation_id is None:
            rows = await self.sql.invocations(f"target = {sql_str(lab.target)}", limit=100, order="created_at ASC")
            for inv in rows:
                if inv.id in self._claimed or _epoch(inv.created_at) < lab.started - 1.0:
                    continue
                entries = await self.sql.journal(inv.id)
                given = next((e.value for e in entries if e.kind == "Command" and e.type == "Input"), None)
                try:
                    same = given is not None and json.loads(given) == self._published[label]
                except ValueError:
                    same = False
                if same:
                    lab.invocation_id = inv.id
                    self._claimed.add(inv.id)
                    break
            if lab.invocation_id is None:
                if time.monotonic() >= deadline:
                    break
                await asyncio.sleep(0.05)
        return lab.invocation_id

    async def _resolve_awakeable(self, step: Step) -> None:
        awakeable_id = step.args["id"]
        if awakeable_id == "from_log":
            deadline = time.monotonic() + step.timeout
            awakeable_id = None
            while awakeable_id is None and time.monotonic() < deadline:
                found = AWAKEABLE_RE.findall("\n".join(self.sandbox.service_log_tail(200)))
                awakeable_id = found[-1] if found else None
                if awakeable_id is None:
                    await asyncio.sleep(0.1)
            if awakeable_id is None:
                self._record(Check(step.number, "the service logs an awakeable to resolve", False, "none seen"))
                return
        req = Request("call", f"restate/awakeables/{awakeable_id}/resolve")
        resp = await self.ingress.resolve_awakeable(
            awakeable_id, step.args["value"], announce=lambda curl: self.reporter.request(req, curl)
        )
        self.reporter.response(req, resp)
        self.result.requests.append(
            {"target": req.target, "kind": "resolve_awakeable", "label": None, **resp.to_dict()}
        )

    # -- expectations ----------------------------------------------------------------------------
    async def _eventually(self, step: Step, check) -> None:
        """Expectations describe where the system settles: poll until true or the step's timeout."""
        deadline = time.monotonic() + step.timeout
        while True:
            desc, ok, detail = await check(step.args)
            if ok or time.monotonic() >= deadline:
                self._record(Check(step.number, desc, ok, detail))
                return
            await asyncio.sleep(0.1)

    async def _check_state(self, args: dict[str, Any]) -> tuple[str, bool, str]:
        service, key = args["service"], args["key"]
        entries = {e.name: e for e in await self.sql.state(service, key)}
        problems = []
        for name, want in (args.get("values") or {}).items():
            got = entries.get(name)
            if got is None:
                problems.append(f"{name} missing")
            elif pretty_value(got.value) != want:
                problems.append(f"{name} = {got.value}, expected {json.dumps(want)}")
        for name in args.get("absent") or []:
            if name in entries:
                problems.append(f"{name} present ({entries[name].value})")
        parts = [f"{k} = {json.dumps(v)}" for k, v in (args.get("values") or {}).items()]
        parts += [f"no {n}" for n in args.get("absent") or []]
        desc = f"state {service}/{key}: " + ", ".join(parts)
        return desc, not problems, "; ".join(problems) or "as expected"

    async def _check_ledger(self, args: dict[str, Any], entries: list | None = None) -> tuple[str, bool, str]:
        if "since" in args or "gaps" in args:
            return await self._check_ledger_timing(args)
        entries = ledger.read(self.sandbox.ledger_path) if entries is None else entries
        where = args.get("where") or {}
        cond = f" where {json.dumps(where)}" if where else ""
        if "order" in args:
            order = args["order"]
            seen = [e.action for e in entries if e.action in set(order) and e.matches(e.action, **where)]
            desc = f"world ledger{cond}: " + " → ".join(order)
            return desc, seen == order, "saw " + (" → ".join(seen) or "nothing")
        if "field" in args:
            got = [e.args.get(args["field"]) for e in entries if e.matches(args["action"], **where)]
            if args.get("flat"):
                got = [v for value in got for v in (value if isinstance(value, list) else [value])]
            shown = json.dumps(args["values"])
            desc = f"world ledger: {args['action']}{cond} {args['field']} = {shown[:120]}"
            return desc, got == args["values"], "saw " + json.dumps(got)[:400]
        if "among_first" in args:
            return _among_first(args, entries, where, cond)
        n = sum(1 for e in entries if e.matches(args["action"], **where))
        if "count" in args:
            return f"world ledger: {args['action']}{cond} happened {args['count']}×", n == args["count"], f"{n}×"
        if "at_most" in args:
            low, high = args.get("at_least", 0), args["at_most"]
            return f"world ledger: {args['action']}{cond} happened {low}–{high}×", low <= n <= high, f"{n}×"
        return (f"world ledger: {args['action']}{cond} happened ≥ {args['at_least']}×", n >= args["at_least"], f"{n}×")

    async def _check_ledger_timing(self, args: dict[str, Any]) -> tuple[str, bool, str]:
        """expect_ledger with `since` (only what happened after a labelled answer) and/or `gaps` (timing)."""
        entries = ledger.read(self.sandbox.ledger_path)
        plain = {k: v for k, v in args.items() if k not in ("since", "gaps")}
        suffix, problems = "", []
        if "since" in args:
            lab = self.labels.get(args["since"])
            finished = lab.finished if lab else None
            entries = [e for e in entries if finished is not None and e.ts > finished]
            suffix += f", after '{args['since']}' was answered"
            problems += [] if finished is not None else [f"'{args['since']}' has no answer yet"]
        if "gaps" in args:
            where = args.get("where") or {}
            times = [e.ts for e in entries if e.matches(args["action"], **where)]
            gap_problems, shown = ledger_gaps(sorted(times), args["gaps"])
            problems += gap_problems
            suffix += f", {describe_gaps(args['gaps'])}"
        desc, ok, detail = await self._check_ledger(plain, entries)
        if "gaps" in args:
            detail += f"; {shown}"
        return desc + suffix, ok and not problems, "; ".join([detail, *problems])

    async def _check_journal(self, args: dict[str, Any]) -> tuple[str, bool, str]:
        inv_id = await self.invocation_id(args["of"])
        if inv_id is None:
            return f"journal of '{args['of']}'", False, "invocation not found"
        commands = [e for e in await self.sql.journal(inv_id) if e.kind == "Command"]
        names = [e.name or e.type for e in commands]
        want = args.get("entries") or []
        it = iter(commands)
        ok = all(any(w in (e.name, e.type, e.label) for e in it) for w in want)
        bad = [a for a in args.get("absent") or [] if any(a in (e.name, e.type) for e in commands)]
        desc = f"journal of '{args['of']}'" + (": " + " → ".join(want) if want else "")
        if args.get("absent"):
            desc += f" (never {', '.join(args['absent'])})"
        return desc, ok and not bad, "journal: " + " → ".join(names)

    async def _check_invocation(self, args: dict[str, Any]) -> tuple[str, bool, str]:
        inv = await self._invocation(args["of"])
        if inv is None:
            return f"invocation '{args['of']}'", False, "not found"
        problems = []
        if "status" in args and inv.status != args["status"]:
            problems.append(f"status {inv.status}")
        if "result" in args and inv.completion_result != args["result"]:
            problems.append(f"result {inv.completion_result}")
        if "transient_errors" in args:
            events = await self.sql.journal_events(inv.id)
            errors = [e for e in events if e.type == "TransientError"] or ([1] if inv.retry_count else [])
            if bool(errors) != args["transient_errors"]:
                problems.append("no transient error recorded" if not errors else "transient errors recorded")
        wanted = " ".join(str(args[k]) for k in ("status", "result") if k in args)
        if "transient_errors" in args:
            wanted += " after failed attempts" if args["transient_errors"] else " without failed attempts"
        detail = f"{inv.status} {inv.completion_result or ''} {inv.completion_failure or ''}".strip()
        return f"invocation '{args['of']}' is {wanted}", not problems, "; ".join(problems) or detail

    async def _check_invocations(self, args: dict[str, Any]) -> tuple[str, bool, str]:
        rows = await self.sql.invocations(f"target = {sql_str(args['target'])}", limit=1000)
        if "status" in args:
            rows = [r for r in rows if r.status == args["status"]]
        if "result" in args:
            rows = [r for r in rows if r.completion_result == args["result"]]
        cond = "".join(f" {args[k]}" for k in ("status", "result") if k in args)
        return (
            f"{args['count']}{cond} invocation(s) of {args['target']}",
            len(rows) == args["count"],
            f"{len(rows)} found",
        )

    async def _check_concurrency(self, args: dict[str, Any]) -> tuple[str, bool, str]:
        """How many were running at once: +1 at each `start` entry, -1 at each `end`, in ledger order."""
        where = args.get("where") or {}
        running = peak = 0
        for e in ledger.read(self.sandbox.ledger_path):
            if e.matches(args["start"], **where):
                running += 1
                peak = max(peak, running)
            elif e.matches(args["end"], **where):
                running -= 1
        wanted, ok = [], True
        if "at_most" in args:
            wanted.append(f"never more than {args['at_most']}")
            ok = ok and peak <= args["at_most"]
        if "reaches" in args:
            wanted.append(f"{args['reaches']} at some moment")
            ok = ok and peak >= args["reaches"]
        desc = f"world ledger: running at once ({args['start']} → {args['end']}): " + ", ".join(wanted)
        return desc, ok, f"at most {peak} at once"

    async def _check_spans(self, args: dict[str, Any]) -> tuple[str, bool, str]:
        """Time spans in the ledger (start → end action, paired by one argument): did they overlap?"""
        entries = ledger.read(self.sandbox.ledger_path)
        where, by = args.get("where") or {}, args["by"]
        spans: dict[Any, list[float]] = {}
        for e in entries:
            if e.matches(args["start"], **where) and e.args.get(by) not in spans:
                spans[e.args.get(by)] = [e.ts]
            elif e.matches(args["end"], **where) and len(spans.get(e.args.get(by), [])) == 1:
                spans[e.args.get(by)].append(e.ts)
        done = {k: v for k, v in spans.items() if len(v) == 2}
        wanted, problems = [], []
        if "count" in args:
            wanted.append(f"{args['count']} spans")
            if len(done) != args["count"]:
                problems.append(f"{len(done)} complete spans")
        detail = ", ".join(f"{k} {end - start:.2f} s" for k, (start, end) in done.items()) or "no spans"
        if done:
            first = min(start for start, _ in done.values())
            last_start = max(start for start, _ in done.values())
            first_end = min(end for _, end in done.values())
            wall = max(end for _, end in done.values()) - first
            total = sum(end - start for start, end in done.values())
            detail += f"; wall {wall:.2f} s, sum {total:.2f} s"
            if args.get("concurrent") is True:
                wanted.append("all running at once")
                if last_start >= first_end:
                    problems.append(f"the last started {last_start - first_end:.2f} s after the first ended")
            elif args.get("concurrent") is False:
                wanted.append("one after the other")
                ordered = sorted(done.values())
                if any(b[0] < a[1] for a, b in zip(ordered, ordered[1:], strict=False)):
                    problems.append("some overlap")
            if "max_ratio" in args:
                wanted.append(f"wall ≤ {args['max_ratio']} × sum")
                if total <= 0 or wall / total > args["max_ratio"]:
                    problems.append(f"wall = {wall / total if total else 0:.2f} × sum")
        desc = f"world ledger spans {args['start']} → {args['end']} by {by}: " + ", ".join(wanted)
        return desc, bool(done) and not problems, "; ".join(problems + [detail])

    # -- the pattern's database (Database Interaction Patterns) ---------------------------------------
    async def _sql_rows(self, query: str) -> list[dict[str, Any]]:
        from restate_play.sandbox.sql_rows import fetch_rows

        url = getattr(self.sandbox, "database_url", None)
        if not url:
            raise PlayError("'sql' and 'expect_sql' steps need a pattern with a database (needs = {\"postgres\"}).")
        return await asyncio.to_thread(fetch_rows, url, query)

    async def _show_sql(self, step: Step) -> None:
        from restate_play.sandbox.sql_rows import text_table

        query = step.args["query"]
        self.reporter.note(f"SQL> {query}")
        for line in text_table(await self._sql_rows(query)):
            self.reporter.note(f"  {line}")

    async def _check_sql(self, args: dict[str, Any]) -> tuple[str, bool, str]:
        from restate_play.sandbox.sql_rows import text_table

        rows = await self._sql_rows(args["query"])
        want = args.get("rows")
        ok = (want is None or rows == want) and ("count" not in args or len(rows) == args["count"])
        parts = [f"{json.dumps(want)}"] if want is not None else []
        parts += [f"{args['count']} row(s)"] if "count" in args else []
        return f"SQL {args['query']} → {' and '.join(parts)}", ok, " | ".join(text_table(rows)) or "no rows"

    def _record(self, check: Check) -> None:
        self.result.checks.append(check)
        self.reporter.check(check)


def ledger_gaps(times: list[float], gaps: dict[str, float]) -> tuple[list[str], str]:
    """Check the timing of ledger entries (times sorted) against expect_ledger's `gaps` table: the first
    `first` entries happen within `within` seconds, and every later gap (from entry `first` on) lies
    within [min, max]. Returns (problems, what was seen)."""
    first = int(gaps.get("first", 1))
    problems, seen = [], []
    if "within" in gaps:
        if len(times) < first:
            problems.append(f"only {len(times)} entries, expected the first {first} together")
        else:
            spread = times[first - 1] - times[0]
            seen.append(f"first {first} within {spread:.3f} s")
            if spread > gaps["within"]:
                problems.append(f"the first {first} took {spread:.3f} s (> {gaps['within']} s)")
    later = [b - a for a, b in zip(times[first - 1 :], times[first:], strict=False)]
    if "min" in gaps or "max" in gaps:
        if not later:
            problems.append(f"{len(times)} entries: no gap after the first {first} to measure")
        else:
            seen.append("then gaps of " + ", ".join(f"{g:.3f}" for g in later) + " s")
            if "min" in gaps and min(later) < gaps["min"]:
                problems.append(f"a gap of {min(later):.3f} s (< {gaps['min']} s)")
            if "max" in gaps and max(later) > gaps["max"]:
                problems.append(f"a gap of {max(later):.3f} s (> {gaps['max']} s)")
    return problems, "; ".join(seen) or "no timing seen"


def describe_gaps(gaps: dict[str, float]) -> str:
    parts = [f"the first {gaps.get('first', 1)} within {gaps['within']} s"] if "within" in gaps else []
    if "min" in gaps or "max" in gaps:
        apart = f"{gaps.get('min', 0)}–{gaps['max']} s" if "max" in gaps else f"≥ {gaps['min']} s"
        parts.append(f"then {apart} apart")
    return " and ".join(parts)


def _epoch(iso: str | None) -> float:
    if not iso:
        return 0.0
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0

def _among_first(args: dict[str, Any], entries: list, where: dict, cond: str) -> tuple[str, bool, str]:
    """expect_ledger `among_first = N`: every entry matching `where` is among the first N of its action."""
    of_action = [e for e in entries if e.action == args["action"]]
    ranks = [i for i, e in enumerate(of_action, start=1) if e.matches(args["action"], **where)]
    ok = bool(ranks) and max(ranks) <= args["among_first"] and args.get("count", len(ranks)) == len(ranks)
    desc = f"world ledger: every {args['action']}{cond} is among the first {args['among_first']} {args['action']}"
    if "count" in args:
        desc += f" ({args['count']} of them)"
    return desc, ok, f"{len(ranks)} at positions {', '.join(map(str, ranks)) or 'none'} of {len(of_action)}"
