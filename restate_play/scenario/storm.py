"""A storm: N requests built from a scenario's first call/send step, C of them in flight at once.

`restate-play run <pattern> --requests N --concurrency C` plays this instead of the scenario's
steps. `{i}` in the target, the idempotency key or `body_json` becomes the request's number
(1…N), so requests can spread over many object keys (`product/p{i}/reserve`). Without `{i}`
every request goes to the same target: fine for a Service, serialized per key for a Virtual
Object.

The driver builds each request as bytes once (no curl line, no response object per request)
and keeps only counters and latencies, so the client costs as little CPU as it can: on a 2-core
machine it shares the cores with the server and the service. Each worker keeps one keep-alive
HTTP/1.1 connection and speaks it through `http1` (prepared bytes out, status and body in), as a
load tool does: httpx cost ~1 ms of client CPU per request, and one shared httpx pool ~4× that
(httpcore scans every pooled connection for each request); measured in bench/storm.py.

It then checks that every request was answered 2xx and that Restate ran one invocation per
distinct request.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from restate_play.errors import PlayError
from restate_play.restate.ingress import Ingress
from restate_play.restate.introspection import Introspection, sql_str
from restate_play.scenario.http1 import Http1Connection, encode_request, split_url
from restate_play.scenario.model import Request, Scenario
from restate_play.scenario.result import Check, RunResult
from restate_play.waiting import WaitTimeout, eventually_async

DEFAULT_CONCURRENCY = 16
PROGRESS_EVERY = 0.25  # seconds between progress lines (live panel) …
PLAIN_PROGRESS_EVERY = 1.0  # … and between printed ones (--plain)


def check_options(requests: int | None, concurrency: int | None) -> tuple[int, int] | None:
    """(requests, concurrency) for a storm, None for a normal run; PlayError on a bad combination."""
    if requests is None:
        if concurrency is not None:
            raise PlayError("--concurrency needs --requests (how many requests the storm sends).")
        return None
    if requests < 1:
        raise PlayError(f"--requests must be at least 1, got {requests}.")
    concurrency = DEFAULT_CONCURRENCY if concurrency is None else concurrency
    if concurrency < 1:
        raise PlayError(f"--concurrency must be at least 1, got {concurrency}.")
    return requests, concurrency


def storm_template(scenario: Scenario) -> Request:
    """The request a storm repeats: the scenario's first step, which must be a call or a send."""
    first = scenario.steps[0]
    if first.action not in ("call", "send") or not first.requests:
        raise PlayError(
            f"Scenario '{scenario.name}' cannot drive a storm: its first step is '{first.action}', not a call or send.",
            f"A storm repeats the first step's request. Scenario file: {scenario.path}",
        )
    return first.requests[0]


def fill(text: str | None, i: int) -> str | None:
    return text.replace("{i}", str(i)) if text is not None else None


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-th percentile (0–100) of already sorted values, interpolated between ranks (numpy's default)."""
    if not sorted_values:
        return 0.0
    rank = (len(sorted_values) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


@dataclass
class StormStats:
    requests: int
    concurrency: int
    sent: int = 0
    answered: int = 0  # answered 2xx
    errors: Counter = field(default_factory=Counter)  # HTTP status (non-2xx) or transport error name → count
    latencies: list[float] = field(default_factory=list)  # seconds, of every answered request (any status)
    started: float = 0.0
    finished: float = 0.0

    @property
    def duration(self) -> float:
        return max((self.finished or time.perf_counter()) - self.started, 1e-9) if self.started else 0.0

    @property
    def done(self) -> int:
        return self.answered + sum(self.errors.values())

    @property
    def rps(self) -> float:
        return self.done / self.duration if self.started else 0.0

    def latency_ms(self) -> dict[str, float]:
        values = sorted(self.latencies)
        if not values:
            return {}
        return {
            "p50": round(percentile(values, 50) * 1000, 2),
            "p95": round(percentile(values, 95) * 1000, 2),
            "p99": round(percentile(values, 99) * 1000, 2),
            "max": round(values[-1] * 1000, 2),
            "mean": round(sum(values) / len(values) * 1000, 2),
        }

    def progress(self) -> str:
        errors = sum(self.errors.values())
        return (
            f"    storm: {self.sent}/{self.requests} sent · {self.answered} answered · {errors} errors · "
            f"{self.rps:.0f} req/s · {self.concurrency} in flight at most"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "concurrency": self.concurrency,
            "sent": self.sent,
            "answered": self.answered,
            "errors": {str(k): v for k, v in sorted(self.errors.items(), key=lambda kv: str(kv[0]))},
            "duration": round(self.duration, 4),
            "requests_per_second": round(self.rps, 1),
            "latency_ms": self.latency_ms(),
        }


@dataclass
class Prepared:
    """One request of the storm, ready to go: what it is sent to and with what."""

    url: str
    content: bytes | None
    headers: dict[str, str]
    target: str  # the filled Restate target (or client path)
    key: str | None  # the filled idempotency key


def prepare(template: Request, i: int, ingress_url: str, client_url: str | None) -> Prepared:
    target = fill(template.target, i) or ""
    key = fill(template.idempotency_key, i)
    headers = dict(template.headers)
    if key:
        headers["idempotency-key"] = key
    content: bytes | None = None
    if template.raw_body is not None:
        content = (fill(template.raw_body, i) or "").encode()
    elif template.has_body:
        content = json.dumps(template.body).encode()
    if content is not None:
        headers.setdefault("content-type", "application/json")
    if template.via == "client":
        if not client_url:
            raise PlayError("This pattern has no client app to send 'via = \"client\"' requests to.")
        base, path = client_url.rstrip("/"), target
    else:
        base, path = ingress_url.rstrip("/"), target.rstrip("/") + ("/send" if template.kind == "send" else "")
    url = f"{base}/{path.lstrip('/')}"
    if template.kind == "send" and template.delay:
        url += f"?delay={template.delay}"
    return Prepared(url, content, headers, target, key)


class Storm:
    """Sends the requests; `stats` is live while it runs (the dashboard reads it)."""

    def __init__(
        self,
        template: Request,
        requests: int,
        concurrency: int,
        ingress_url: str,
        client_url: str | None = None,
    ):
        self.template = template
        self.stats = StormStats(requests, concurrency)
        self.last_invocation: str | None = None  # the id of the latest answer (x-restate-id), for the live view
        self.ingress_url = ingress_url
        self.client_url = client_url
        self.first = prepare(template, 1, ingress_url, client_url)  # fails early on a bad template
        # Every request goes to the same host: its URL is parsed once, each request only cuts its path.
        self.host, self.port, _ = split_url(self.first.url)
        self.base = self.first.url[: self.first.url.index("/", len("http://"))]

    async def run(self) -> StormStats:
        stats = self.stats
        numbers = iter(range(1, stats.requests + 1))
        ingress_url, client_url, template = self.ingress_url, self.client_url, self.template
        host, port, base = self.host, self.port, self.base

        async def worker() -> None:
            # No read timeout, as the Ingress client: a handler may run for minutes.
            conn: Http1Connection | None = None
            try:
                for i in numbers:  # a shared iterator: each number is taken once, by one worker
                    req = prepare(template, i, ingress_url, client_url)
                    conn = conn or Http1Connection(host, port)
                    raw = encode_request("POST", host, port, req.url[len(base) :], req.headers, req.content)
                    stats.sent += 1
                    t0 = time.perf_counter()
                    try:
                        answer = await conn.request(raw)
                    except (TimeoutError, OSError) as err:  # refused, reset, closed mid-answer
                        stats.errors[type(err).__name__] += 1
                        continue
                    stats.latencies.append(time.perf_counter() - t0)
                    if 200 <= answer.status < 300:
                        stats.answered += 1
                        self.last_invocation = answer.headers.get("x-restate-id") or self.last_invocation
                    else:
                        stats.errors[answer.status] += 1
            finally:
                if conn is not None:
                    await conn.aclose()

        stats.started = time.perf_counter()
        try:
            await asyncio.gather(*(worker() for _ in range(min(stats.concurrency, stats.requests))))
        finally:
            stats.finished = time.perf_counter()
        return stats


def expected_invocations(template: Request, requests: int) -> int:
    """How many invocations Restate should run: one per request, or per distinct (target, key)."""
    if not template.idempotency_key:
        return requests
    return len({(fill(template.target, i), fill(template.idempotency_key, i)) for i in range(1, requests + 1)})


class StormRunner:
    """Plays a storm where the scenario runner would play the steps (same `run()` and `result`)."""

    observer_interval = 1.0  # seconds between the live view's refreshes during a storm (0.2 otherwise)

    def __init__(
        self,
        scenario: Scenario,
        pattern: str,
        ingress: Ingress,
        sql: Introspection,
        requests: int,
        concurrency: int,
        client_url: str | None = None,
        sink: Callable[[str], None] | None = None,
        live_events: list[str] | None = None,
        reporter: Any = None,
    ):
        self.scenario = scenario
        self.reporter = reporter  # its on_invocation (if any) makes the live view follow an invocation
        self.template = storm_template(scenario)
        self.sql = sql
        self.storm = Storm(self.template, requests, concurrency, ingress.url, client_url)
        self.result = RunResult(pattern, scenario.name, scenario.title)
        self.sink = sink or (lambda _line: None)
        self.live_events = live_events  # the live panel's lines: the progress line is updated in place

    def _show_progress(self, final: bool = False) -> None:
        latest = self.storm.last_invocation
        if latest and latest != self._followed and hasattr(self.reporter, "on_invocation"):
            self.reporter.on_invocation(latest)  # one answer per tick: the journals panel shows recent ones
            self._followed = latest
        line = self.storm.stats.progress()
        if self.live_events is not None:
            self.live_events[self._progress_at] = line
        elif final or self._next_print <= time.monotonic():
            self.sink(line)
            self._next_print = time.monotonic() + PLAIN_PROGRESS_EVERY

    async def run(self) -> RunResult:
        t0 = time.monotonic()
        stats = self.storm.stats
        first = self.storm.first
        self.sink(
            f"storm: {stats.requests} requests, {stats.concurrency} at once, from step 1 of "
            f"'{self.scenario.name}': {self.template.kind} {self.template.target}"
            + (f" (idempotency key {self.template.idempotency_key})" if self.template.idempotency_key else "")
        )
        self.sink(f"    first: POST {first.url.replace('http://127.0.0.1:', 'localhost:')}")
        if self.live_events is not None:
            self.live_events.append(stats.progress())
            self._progress_at = len(self.live_events) - 1
        self._next_print = time.monotonic() + PLAIN_PROGRESS_EVERY
        self._followed: str | None = None
        service_handler = self._service_handler()
        before = await self._count(*service_handler) if service_handler else 0
        task = asyncio.create_task(self.storm.run())
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=PROGRESS_EVERY)
                self._show_progress()
            await task
        finally:
            if not task.done():
                task.cancel()
            self.result.timings["scenario"] = self.result.timings["storm"] = stats.duration
        self._show_progress(final=True)
        summary = stats.to_dict()
        lat = summary["latency_ms"]
        self.sink(
            f"    {stats.answered}/{stats.requests} answered 2xx in {stats.duration:.2f} s: "
            f"{stats.rps:.0f} req/s; latency p50 {lat.get('p50', 0):.1f} ms, p95 {lat.get('p95', 0):.1f} ms, "
            f"p99 {lat.get('p99', 0):.1f} ms" + (f"; errors {dict(summary['errors'])}" if stats.errors else "")
        )
        self._record(
            Check(
                1,
                f"all {stats.requests} requests answered 2xx",
                stats.answered == stats.requests,
                f"{stats.answered} answered 2xx" + (f", errors {summary['errors']}" if stats.errors else ""),
            )
        )
        self.result.storm = summary
        if service_handler:
            await self._check_invocations(*service_handler, before)
        self.result.timings["scenario"] = time.monotonic() - t0
        return self.result

    def _record(self, check: Check) -> None:
        self.result.checks.append(check)
        mark = "✔" if check.passed else "✘"
        self.sink(f"    {mark} {check.description}" + ("" if check.passed else f"  — {check.detail}"))

    def _service_handler(self) -> tuple[str, str] | None:
        """The Restate service and handler the storm invokes (None through a client app: unknown)."""
        if self.template.via != "ingress":
            self.sink("    · through the client app: the invocation count is not checked")
            return None
        parts = self.template.target.split("/")
        return parts[0], parts[-1]

    async def _count(self, service: str, handler: str) -> int:
        rows = await self.sql.query(
            "SELECT count(*) AS n FROM sys_invocation WHERE "
            f"target_service_name = {sql_str(service)} AND target_handler_name = {sql_str(handler)}"
        )
        return int(rows[0]["n"]) if rows else 0

    async def _check_invocations(self, service: str, handler: str, before: int, timeout: float = 10.0) -> None:
        want = expected_invocations(self.template, self.storm.stats.requests)

        async def ran_now() -> int:
            return await self._count(service, handler) - before

        try:  # one-way sends may still be arriving in the table: wait until the count settles
            ran = await eventually_async(
                ran_now, until=lambda n: n >= want, timeout=timeout, what=f"{want} invocations"
            )
        except WaitTimeout as err:
            ran = err.last
        if self.result.storm is not None:
            self.result.storm["invocations"] = {"expected": want, "ran": ran}
        self._record(Check(1, f"Restate ran {want} invocation(s) of {service}/{handler}", ran == want, f"{ran} ran"))
