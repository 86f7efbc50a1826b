"""Plays a chaos plan against a sandbox: send the traffic, kill and restart parts at the planned
points (and prove each kill landed), then collect the evidence the invariants judge."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

from restate_play.errors import PlayError
from restate_play.loopback_http import loopback_async_client
from restate_play.restate.introspection import Introspection, sql_str
from restate_play.sandbox.cluster import RestateCluster, node_part
from restate_play.sandbox.sandbox import Sandbox
from restate_play.scenario.chaos import ChaosPlan, ChaosSpec, KillPoint
from restate_play.world import ledger
from restate_play.world.chaos_api import ChaosOutcome, ChaosRequest, Evidence

RETRY_STATUSES = (502, 503, 504)  # the server is (re)starting
CLIENT_DEADLINE = 120.0  # seconds one request keeps retrying before the client gives up
WORK_WAIT = 10.0  # seconds a kill waits for work to interrupt when no request is in flight


class ChaosParts(Protocol):
    """What the driver acts on: the parts it kills and restarts, where to send, where to look."""

    ingress_url: str
    admin_url: str
    ledger_path: Path
    services: tuple[str, ...]  # the pattern's Restate services: their invocations and state are the evidence
    subscriptions: tuple[tuple[str, str], ...]  # (Kafka topic, "Service/handler" it feeds)

    def pid(self, part: str) -> int | None: ...
    def kill(self, part: str) -> None: ...
    def restart(self, part: str) -> float: ...
    def gone(self, pid: int) -> bool: ...
    def publish(self, topic: str, line: str) -> int: ...
    async def unfinished(self) -> int | None: ...
    async def aclose(self) -> None: ...


class SandboxParts:
    """What a chaos run kills and restarts, and its Kafka producer, over one sandbox."""

    def __init__(self, sandbox: Sandbox):
        self.sandbox, self.services, self.subscriptions = (
            sandbox,
            sandbox.pattern.services,
            sandbox.pattern.subscriptions,
        )
        self.admin_url, self.ledger_path = sandbox.admin_url, sandbox.ledger_path
        self._publisher: Any = None  # one producer for the whole run (a new one per record costs ~0.1 s)
        self._sql: Introspection | None = None  # made on first use, inside the run's event loop

    @property
    def ingress_url(self) -> str:
        """Where the next request goes: a cluster spreads them over its live nodes' ingresses."""
        cluster = self.sandbox.server
        return cluster.next_ingress_url() if isinstance(cluster, RestateCluster) else self.sandbox.ingress_url

    def pid(self, part: str) -> int | None:
        """The part's PID while its process is alive, else None."""
        if (numbers := node_part(part)) is not None:  # "node 2", "nodes 1+2": the first live one's
            nodes = [self.sandbox.cluster.node(n) for n in numbers]
            return next((n.pid for n in nodes if n.child is not None and n.child.alive()), None)
        owner = self.sandbox.service if part == "service" else self.sandbox.server
        child = owner.child if owner is not None else None
        return child.pid if child is not None and child.alive() else None

    def kill(self, part: str) -> None:
        if (numbers := node_part(part)) is not None:
            for number in numbers:
                self.sandbox.kill_node(number)
            return
        (self.sandbox.kill_service if part == "service" else self.sandbox.kill_server)()

    def restart(self, part: str) -> float:
        if (numbers := node_part(part)) is not None:
            return self.sandbox.restart_node(*numbers)
        return (self.sandbox.restart_service if part == "service" else self.sandbox.restart_server)()

    @staticmethod
    def gone(pid: int) -> bool:
        """No process has this PID any more (the SIGKILLed one was reaped)."""
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    def publish(self, topic: str, line: str) -> int:
        from restate_play.sandbox.kafka_client import Publisher, parse_line

        if self._publisher is None:
            kafka = next(c for c in self.sandbox.components if c.name == "kafka")
            self._publisher = Publisher(kafka.bootstrap)
        (record,) = self._publisher.publish(topic, [parse_line(line, where="record")])
        return record.offset

    async def unfinished(self) -> int | None:
        """How many of the pattern's invocations are not done: the work a kill now interrupts
        (for Kafka traffic the client sees none of it). None when introspection cannot tell."""
        self._sql = self._sql or Introspection(self.admin_url)
        try:
            rows = await self._sql.query(_count(self.services, not_done=True))
        except PlayError:
            return None
        return int(rows[0]["n"]) if rows else None

    async def aclose(self) -> None:
        if self._sql is not None:
            await self._sql.aclose()


@dataclass
class KillReport:
    """One planned kill and what became of it: the proof that the fault path was reached."""

    number: int
    target: str
    planned_at: int  # the request index it was planned at
    at_request: int | None = None  # the request that triggered it (None: never reached)
    at: float = 0.0  # seconds into the run
    after_requests: int = 0  # answers so far
    in_flight: list[int] = field(default_factory=list)  # requests sent and not answered at the SIGKILL
    unfinished: int | None = None  # with no request in flight: the pattern's invocations not done
    pid: int | None = None
    landed: bool = False
    why: str = ""  # when it did not land
    downtime: float = 0.0
    restart_took: float = 0.0
    new_pid: int | None = None

    def __str__(self) -> str:
        if self.at_request is None:
            return f"kill {self.number} ({self.target}) planned at request #{self.planned_at} never came: {self.why}"
        if not self.landed:
            return f"kill {self.number}: {self.target} not killed at request #{self.at_request}: {self.why}"
        shown = ", ".join(f"#{n}" for n in self.in_flight[:5]) + (" …" if len(self.in_flight) > 5 else "")
        return (
            f"kill {self.number}: {self.target} pid {self.pid} killed at request #{self.at_request} "
            f"({self.at:.2f} s, {self.after_requests} answered) while {len(self.in_flight)} were in flight"
            f"{f' ({shown})' if shown else ''}{self._unfinished()}; back as pid {self.new_pid} "
            f"after {self.restart_took:.2f} s"
        )

    @property
    def hit_work(self) -> bool:
        """The kill interrupted something: requests in flight, or invocations Restate was running."""
        return bool(self.in_flight or self.unfinished)

    def _unfinished(self) -> str:
        return "" if self.unfinished is None else f" and {self.unfinished} invocations unfinished"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            in_flight=len(self.in_flight),
            in_flight_requests=self.in_flight[:20],
            hit_work=self.hit_work,
            summary=str(self),
        )
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}


@dataclass
class ChaosStats:
    requests: int = 0
    completed: int = 0
    client_retries: int = 0
    kills: list[KillReport] = field(default_factory=list)  # every planned kill, in plan order
    duration: float = 0.0

    @property
    def throughput(self) -> float:
        return self.completed / self.duration if self.duration else 0.0

    @property
    def landed(self) -> int:
        return sum(1 for k in self.kills if k.landed)


class ChaosDriver:
    """One chaos run in named steps: `send` every request, `kill_and_restart` at the planned
    points, `collect` the evidence once the pattern is idle. The plan (`ChaosPlan.make`: the
    traffic, then `plan_kills`) is made before, pure and seeded, so it is tested on its own."""

    def __init__(self, plan: ChaosPlan, parts: ChaosParts, *, concurrency: int, note: Callable[[str], None]):
        self.plan, self.parts, self.note = plan, parts, note
        self.stats = ChaosStats(requests=len(plan.requests))
        self.stats.kills = [KillReport(i, p.target, p.index) for i, p in enumerate(plan.kills, 1)]
        self.outcomes: list[ChaosOutcome] = []
        self._slots = asyncio.Semaphore(concurrency)
        self._http: httpx.AsyncClient | None = None
        self._concurrency = concurrency
        # Kills happen in plan order, one at a time, whichever kill point is reached first: a
        # request waiting for another (`after`) may reach its point late, and the seed still
        # decides which part goes down when.
        self._due: deque[tuple[KillPoint, KillReport]] = deque(zip(plan.kills, self.stats.kills, strict=True))
        self._kill_at = {p.index for p in plan.kills}
        self._kill_order = asyncio.Lock()
        self._last_kill: asyncio.Task[None] | None = None
        self._in_flight: set[int] = set()
        self._answered = {r.after: asyncio.Event() for r in plan.requests if r.after is not None}
        self._t0 = 0.0

    def _now(self) -> float:
        return time.monotonic() - self._t0

    async def run(self) -> ChaosStats:
        self._t0 = time.monotonic()
        limits = httpx.Limits(max_connections=self._concurrency * 2)
        async with loopback_async_client(timeout=httpx.Timeout(60.0, connect=2.0), limits=limits) as http:
            self._http = http
            try:
                await asyncio.gather(*(self._play(r) for r in self.plan.requests))
                if self._last_kill is not None:
                    await self._last_kill
            finally:
                await self.parts.aclose()
        self.stats.duration = self._now()
        for report in self.stats.kills:
            if report.at_request is None:
                report.why = f"the run has only {len(self.plan.requests)} requests"
        return self.stats

    async def _play(self, req: ChaosRequest) -> None:
        try:
            if req.after is not None:
                await self._answered[req.after].wait()  # outside the slots: waiting holds none
            async with self._slots:
                if req.n in self._kill_at:
                    await self._start_kill(req.n)
                if req.topic is None:  # a Kafka publish goes to the broker, which no kill touches
                    self._in_flight.add(req.n)
                try:
                    outcome = await self.send(req)
                finally:
                    self._in_flight.discard(req.n)
            self._record(outcome)
        finally:  # set even without an answer: a dependent request must not hang the run
            if req.n in self._answered:
                self._answered[req.n].set()

    def _record(self, outcome: ChaosOutcome) -> None:
        outcome.done_at = self._now()
        self.stats.client_retries += max(outcome.attempts - 1, 0)
        self.stats.completed += outcome.status is not None
        self.outcomes.append(outcome)

    async def send(self, req: ChaosRequest) -> ChaosOutcome:
        if req.topic is not None:
            # Kafka: the broker is not killed, so one acknowledged publish is the record.
            offset = await asyncio.to_thread(self.parts.publish, req.topic, req.target)
            return ChaosOutcome(req, 200, {"offset": offset}, attempts=1)
        return await self._post(req)

    async def _post(self, req: ChaosRequest) -> ChaosOutcome:
        assert self._http is not None
        outcome = ChaosOutcome(req)
        headers = {"idempotency-key": req.idempotency_key} if req.idempotency_key else {}
        url = f"{self.parts.ingress_url}/{req.target}"
        deadline = time.monotonic() + CLIENT_DEADLINE
        while time.monotonic() < deadline:
            outcome.attempts += 1
            try:
                resp = await self._http.post(url, json=req.body, headers=headers)
            except httpx.TransportError:
                # The server is down (or went down mid-request): a real client retries. With an
                # idempotency key the retry attaches to the same invocation; without, it is a new one.
                await asyncio.sleep(0.1)
                continue
            if resp.status_code in RETRY_STATUSES:
                await asyncio.sleep(0.1)
                continue
            outcome.status, outcome.invocation = resp.status_code, resp.headers.get("x-restate-id")
            try:
                outcome.body = resp.json()
            except ValueError:
                outcome.body = resp.text
            break
        return outcome

    async def _start_kill(self, at_request: int) -> None:
        async with self._kill_order:
            point, report = self._due.popleft()
            if self._last_kill is not None:
                await self._last_kill  # the previous part must be back first
            self._last_kill = asyncio.create_task(self.kill_and_restart(point, report, at_request))

    async def kill_and_restart(self, point: KillPoint, report: KillReport, at_request: int) -> None:
        report.at_request, report.unfinished = at_request, await self._work_to_hit()
        report.at, report.after_requests, report.in_flight = self._now(), self.stats.completed, sorted(self._in_flight)
        report.pid = self.parts.pid(point.target)
        if report.pid is None:
            report.why = f"the {point.target} was already down (no live process to kill)"
        else:
            await asyncio.to_thread(self.parts.kill, point.target)
            report.landed = self.parts.pid(point.target) is None and self.parts.gone(report.pid)
            report.why = "" if report.landed else f"pid {report.pid} still alive after SIGKILL"
        report.downtime = point.downtime
        await asyncio.sleep(point.downtime)
        report.restart_took = await asyncio.to_thread(self.parts.restart, point.target)
        report.new_pid = self.parts.pid(point.target)
        self.note(f"💥 {report}")

    async def _work_to_hit(self) -> int | None:
        """With requests in flight, nothing (the kill goes at once; None: not counted). With none
        (Kafka records are published long before Restate runs them), the pattern's unfinished
        invocations, waiting a bounded while for some: the kill should interrupt work, not an
        idle process."""
        deadline = time.monotonic() + WORK_WAIT
        while not self._in_flight:
            unfinished = await self.parts.unfinished()
            if unfinished != 0 or time.monotonic() > deadline:
                return unfinished
            await asyncio.sleep(0.1)
        return None

    def _consumed(self) -> list[tuple[str, int, str]]:
        """Kafka records become invocations only once Restate consumed them: per topic the traffic
        published to, the count query of its subscriber's invocations, how many records went out,
        and what they were."""
        published = Counter(o.request.topic for o in self.outcomes if o.request.topic is not None)
        feeds = dict(self.parts.subscriptions)
        out = []
        for topic, n in sorted(published.items()):
            service, handler = feeds[topic].split("/")
            query = (
                "SELECT count(*) AS n FROM sys_invocation WHERE "
                f"target_service_name = {sql_str(service)} AND target_handler_name = {sql_str(handler)}"
            )
            out.append((query, n, f"{feeds[topic]} invocations for the {n} records published to {topic}"))
        return out

    async def collect(self, spec: ChaosSpec) -> tuple[Evidence, list[str]]:
        """Wait for the pattern to be idle, then gather responses, ledger, state and invocations.
        Also returns a sentence per invocation still not done (empty when idle)."""
        sql, services = Introspection(self.parts.admin_url), self.parts.services
        try:
            consumed = self._consumed()
            idle = await wait_idle(sql, services, settle=spec.settle, consumed=[(q, n) for q, n, _ in consumed])
            stuck = [] if idle else await still_running(sql, services) + await _shortfalls(sql, consumed)
            evidence = Evidence(
                self.outcomes,
                ledger.read(self.parts.ledger_path),
                state=await _state(sql, services),
                invocations=await sql.invocations(_of(services), limit=100_000),
            )
        finally:
            await sql.aclose()
        return evidence, stuck


NOT_DONE = "status NOT IN ('completed', 'scheduled')"  # timers still to fire (a token's expiry) are done


def _of(services: tuple[str, ...]) -> str:
    return f"target_service_name IN ({', '.join(sql_str(s) for s in services)})"


def _count(services: tuple[str, ...], *, not_done: bool = False) -> str:
    where = f"{_of(services)} AND {NOT_DONE}" if not_done else _of(services)
    return f"SELECT count(*) AS n FROM sys_invocation WHERE {where}"


def _json(value: str | None) -> Any:
    try:
        return json.loads(value) if value is not None else None
    except ValueError:
        return value  # not JSON (binary shows as 0x-hex): compared as text


async def _state(sql: Introspection, services: tuple[str, ...]) -> dict[str, dict[str, dict[str, Any]]]:
    state: dict[str, dict[str, dict[str, Any]]] = {}
    for service in services:
        for e in await sql.state(service, limit=100_000):
            state.setdefault(service, {}).setdefault(e.key, {})[e.name] = _json(e.value)
    return state


async def still_running(sql: Introspection, services: tuple[str, ...]) -> list[str]:
    rows = await sql.invocations(f"{_of(services)} AND {NOT_DONE}", limit=5)
    return [
        f"{i.id} ({i.target}) is still {i.status} after {i.retry_count} attempts"
        + (f"; last error: {' '.join(i.last_failure.split())[:160]}" if i.last_failure else "")
        for i in rows
    ]


async def _shortfalls(sql: Introspection, consumed: list[tuple[str, int, str]]) -> list[str]:
    sentences = []
    for query, n, what in consumed:
        rows = await sql.query(query)
        got = int(rows[0]["n"]) if rows else 0
        if got < n:
            sentences.append(f"only {got} {what}")
    return sentences


async def wait_idle(
    sql: Introspection,
    services: tuple[str, ...],
    timeout: float = 60.0,
    settle: float = 0.0,
    consumed: Sequence[tuple[str, int]] = (),
) -> bool:
    """Wait until the pattern's invocations are done. Scheduled ones (timers) do not count: a
    payment token's one-hour expiry is meant to still be pending. A pattern whose invariants need
    short timers to fire first (batching's linger) declares `settle` seconds to wait for them.
    `consumed`: (count query, at least): the invocations published Kafka records must become first."""
    busy, deadline = _count(services, not_done=True), time.monotonic() + timeout
    for query, at_least in consumed:
        if not await _poll_count(sql, query, lambda n, at_least=at_least: n >= at_least, deadline):
            return False
    for pause in (settle, 0.0) if settle else (0.0,):
        await asyncio.sleep(pause)
        if not await _poll_count(sql, busy, lambda n: n == 0, deadline):
            return False
    return True


async def _poll_count(sql: Introspection, query: str, done: Callable[[int], bool], deadline: float) -> bool:
    """Run a `count(*) AS n` query until `done(n)`, or False at the deadline."""
    while True:
        rows = await sql.query(query)
        if rows and done(int(rows[0]["n"])):
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.2)
