"""Chaos runs: a pattern's traffic at scale, random SIGKILLs of the service and the server, then
the pattern's invariants checked on responses, ledger and state. Reproducible with a seed.

Each pattern opts in with `scenarios/<slug>.chaos.toml`:

    title = "…"
    keys = 12                      # how many objects / customers the traffic spreads over
    invariants = ["one-winner-per-product", "winner-repeats-get-true"]

The traffic generator and the invariants are code, registered below by pattern slug and name.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import tomllib
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from restate_play.errors import PlayError
from restate_play.loopback_http import loopback_async_client
from restate_play.restate.introspection import Introspection
from restate_play.scenario.result import Check
from restate_play.world.ledger import LedgerEntry


@dataclass
class ChaosRequest:
    n: int
    target: str
    body: Any = None
    idempotency_key: str | None = None
    key: str = ""  # the object / customer it concerns, for invariants
    meta: dict[str, Any] = field(default_factory=dict)
    topic: str | None = None  # a Kafka record (`key:json` in `target`) instead of an HTTP request
    after: int | None = None  # starts only once request #after is answered (e.g. its package registered)


@dataclass
class ChaosOutcome:
    request: ChaosRequest
    status: int | None = None
    body: Any = None
    attempts: int = 0  # HTTP attempts by the client (retries after connection errors)
    done_at: float = 0.0


@dataclass
class ChaosSpec:
    path: Path
    title: str
    keys: int
    invariants: list[str]
    settle: float = 0.0  # seconds to let short timers fire before the invariants are checked


@dataclass
class Evidence:
    outcomes: list[ChaosOutcome]
    ledger: list[LedgerEntry]
    sql: Introspection
    services: tuple[str, ...]


Generator = Callable[[random.Random, int, int, bool], ChaosRequest]
Invariant = Callable[[Evidence], Awaitable[Check]]


def load_spec(path: Path) -> ChaosSpec:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise PlayError(f"No chaos traffic for this pattern ({path.name} is missing).") from err
    except tomllib.TOMLDecodeError as err:
        raise PlayError(f"{path.name}: not valid TOML: {err}") from err
    invariants = data.get("invariants")
    if not isinstance(invariants, list) or not invariants:
        raise PlayError(f"{path.name}: field 'invariants': expected a non-empty list of invariant names.")
    slug = path.name.removesuffix(".chaos.toml")
    unknown = [i for i in invariants if (slug, i) not in INVARIANTS]
    if unknown:
        known = sorted(name for s, name in INVARIANTS if s == slug)
        raise PlayError(f"{path.name}: unknown invariant(s) {', '.join(unknown)}.", f"Known: {', '.join(known)}")
    keys = data.get("keys", 8)
    if not isinstance(keys, int) or keys < 1:
        raise PlayError(f"{path.name}: field 'keys': expected a positive integer, got {keys!r}.")
    settle = data.get("settle", 0.0)
    if not isinstance(settle, int | float) or settle < 0:
        raise PlayError(f"{path.name}: field 'settle': expected seconds (a number ≥ 0), got {settle!r}.")
    return ChaosSpec(path, str(data.get("title", slug)), keys, list(invariants), float(settle))


# -- traffic generators ----------------------------------------------------------------------------


def _durable_rpc(rng: random.Random, n: int, keys: int, idempotent: bool) -> ChaosRequest:
    product = f"p{rng.randrange(keys)}"
    reservation = f"{product}-r{rng.randrange(4)}"  # few reservation ids per product: repeats happen
    return ChaosRequest(
        n,
        f"product/{product}/reserve",
        None,
        reservation if idempotent else None,
        product,
        {"reservation": reservation},
    )


def _sagas(rng: random.Random, n: int, keys: int, idempotent: bool) -> ChaosRequest:
    customer = f"c{n}"
    arrival = "2024-12-16" if rng.random() < 0.3 else "2025-02-01"  # the fully booked date, sometimes
    body = {
        "customerId": customer,
        "flights": {"flightId": f"F{n}", "passengerName": "Chaos Monkey"},
        "car": {"pickupLocation": "Airport", "rentalDate": arrival},
        "hotel": {"arrivalDate": arrival, "departureDate": "2025-02-05"},
    }
    return ChaosRequest(n, "BookingWorkflow/run", body, f"trip-{n}" if idempotent else None, customer)


def _stateful_actors(rng: random.Random, n: int, keys: int, idempotent: bool) -> ChaosRequest:
    machine = f"m{rng.randrange(keys)}"
    handler = rng.choice(["setUp", "tearDown"])
    return ChaosRequest(
        n,
        f"machineOperator/{machine}/{handler}",
        None,
        f"op-{n}" if idempotent else None,
        machine,
        {"handler": handler},
    )


def _payment_state_machines(rng: random.Random, n: int, keys: int, idempotent: bool) -> ChaosRequest:
    # Each token pays from its own account, so the account's balance tells what happened to the token.
    token = f"t{rng.randrange(keys)}"
    if rng.random() < 0.7:
        body = {"accountId": f"acc-{token}", "amount": 100}
        return ChaosRequest(n, f"payments/{token}/makePayment", body, f"op-{n}" if idempotent else None, token)
    return ChaosRequest(n, f"payments/{token}/cancelPayment", None, f"op-{n}" if idempotent else None, token)


def _batching(rng: random.Random, n: int, keys: int, idempotent: bool) -> ChaosRequest:
    key = f"k{rng.randrange(keys)}"
    return ChaosRequest(n, f"batcher/{key}/receive", n, f"item-{n}" if idempotent else None, key, {"item": n})


def _event_transactions(rng: random.Random, n: int, keys: int, idempotent: bool) -> ChaosRequest:
    user = f"user{rng.randrange(keys)}"
    line = f'{user}:{{"content": "post {n}", "metadata": "public"}}'
    return ChaosRequest(n, line, None, None, user, {"content": f"post {n}"}, topic="social-media-posts")


def _event_enrichment(rng: random.Random, n: int, keys: int, idempotent: bool) -> ChaosRequest:
    # Rounds of 8×keys requests: each round registers `keys` new packages over HTTP, then publishes
    # their location updates (and reads some back), so registrations happen all along the run, kills
    # included. An update waits for its package's registration: one for an unknown package fails for
    # good, by design, and would not say anything about crashes.
    size = 8 * keys
    round_, i = divmod(n, size)
    if i < keys:
        package = f"pkg{round_}-{i}"
        destination = f"Dock {n}, Rotterdam"
        return ChaosRequest(
            n,
            f"package-tracker/{package}/registerPackage",
            {"finalDestination": destination},
            f"register-{package}" if idempotent else None,
            package,
            {"destination": destination},
        )
    j = rng.randrange(keys)
    package, registration = f"pkg{round_}-{j}", round_ * size + j
    if rng.random() < 0.15:
        return ChaosRequest(
            n, f"package-tracker/{package}/getPackageInfo", None, None, package, {"read": True}, after=registration
        )
    stop = f"Stop {n}"
    value = json.dumps({"timestamp": f"2024-10-10 +{n}min", "location": stop})
    return ChaosRequest(
        n, f"{package}:{value}", None, None, package, {"location": stop}, "package-location-updates", registration
    )


GENERATORS: dict[str, Generator] = {
    "event-transactions": _event_transactions,
    "event-enrichment": _event_enrichment,
    "durable-rpc": _durable_rpc,
    "sagas": _sagas,
    "stateful-actors": _stateful_actors,
    "payment-state-machines": _payment_state_machines,
    "batching": _batching,
}


# -- invariants ------------------------------------------------------------------------------------

INVARIANTS: dict[tuple[str, str], Invariant] = {}


def invariant(slug: str, name: str):
    def register(fn: Invariant) -> Invariant:
        INVARIANTS[(slug, name)] = fn
        return fn

    return register


@invariant("durable-rpc", "one-winner-per-product")
async def _one_winner(ev: Evidence) -> Check:
    winners: dict[str, set[str]] = defaultdict(set)
    for o in ev.outcomes:
        if o.status == 200 and o.body is True:
            winners[o.request.key].add(o.request.meta["reservation"])
    bad = {p: sorted(w) for p, w in winners.items() if len(w) > 1}
    return Check(
        0,
        "per product, exactly one reservation wins",
        not bad,
        f"products with several winners: {bad}" if bad else f"{len(winners)} products, one winner each",
    )


@invariant("durable-rpc", "winner-repeats-get-true")
async def _winner_repeats(ev: Evidence) -> Check:
    answers: dict[tuple[str, str], set[Any]] = defaultdict(set)
    for o in ev.outcomes:
        if o.status == 200:
            answers[(o.request.key, o.request.meta["reservation"])].add(o.body)
    mixed = sorted(f"{p}/{r}" for (p, r), got in answers.items() if len(got) > 1)
    return Check(
        0,
        "every repeat of a reservation gets the same answer (the winner always true)",
        not mixed,
        f"mixed answers for {mixed[:5]}" if mixed else f"{len(answers)} reservations consistent",
    )


@invariant("sagas", "all-or-nothing")
async def _all_or_nothing(ev: Evidence) -> Check:
    per_customer: dict[str, Counter[str]] = defaultdict(Counter)
    for e in ev.ledger:
        if "customer" in e.args:
            per_customer[e.args["customer"]][e.action] += 1
    broken = []
    for customer, seen in per_customer.items():
        booked = {a.split(".")[0] for a in seen if a.endswith(".book")}
        cancelled = {a.split(".")[0] for a in seen if a.endswith(".cancel")}
        kept = booked == {"flight", "car", "hotel"} and not cancelled
        compensated = bool(cancelled) and booked <= cancelled
        if not (kept or compensated):
            broken.append(customer)
    return Check(
        0,
        "every booking fully kept or fully compensated (ledger)",
        not broken,
        f"half-done: {broken[:5]}" if broken else f"{len(per_customer)} trips consistent",
    )


@invariant("sagas", "one-saga-per-trip")
async def _one_saga(ev: Evidence) -> Check:
    invocations: dict[str, set[str]] = defaultdict(set)
    for e in ev.ledger:
        if e.action == "flight.book" and e.invocation:
            invocations[e.args["customer"]].add(e.invocation)
    doubled = sorted(c for c, ids in invocations.items() if len(ids) > 1)
    return Check(
        0,
        "each trip ran as one saga, however often the client retried",
        not doubled,
        f"trips booked by several invocations: {doubled[:5]}" if doubled else f"{len(invocations)} trips",
    )


@invariant("stateful-actors", "transitions-in-order")
async def _transitions(ev: Evidence) -> Check:
    per_machine: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for e in ev.ledger:
        if e.action in ("machine.begin", "machine.done"):
            step = (e.action, e.args["to"])
            seq = per_machine[e.args["machine"]]
            if seq and seq[-1] == step:
                continue  # a step repeated after a crash before its result was journaled: at-least-once
            seq.append(step)
    broken = []
    for machine, seq in per_machine.items():
        for i, (action, to) in enumerate(seq):
            expected = "machine.begin" if i % 2 == 0 else "machine.done"
            if action != expected or (action == "machine.done" and seq[i - 1][1] != to):
                broken.append(machine)
                break
    return Check(
        0,
        "per machine, transitions never interleave (begin/done pairs in order)",
        not broken,
        f"interleaved: {broken[:5]}" if broken else f"{len(per_machine)} machines",
    )


@invariant("stateful-actors", "state-matches-last-transition")
async def _state_matches(ev: Evidence) -> Check:
    last: dict[str, str] = {}
    for e in ev.ledger:
        if e.action == "machine.done":
            last[e.args["machine"]] = e.args["to"]
    state = {s.key: s.value for s in await ev.sql.state("machineOperator") if s.name == "state"}
    wrong = {m: (state.get(m), f'"{to}"') for m, to in last.items() if state.get(m) != f'"{to}"'}
    return Check(
        0,
        "each machine's state is the target of its last completed transition",
        not wrong,
        f"state vs last transition: {wrong}" if wrong else f"{len(last)} machines",
    )


async def _json_state(ev: Evidence, service: str, name: str) -> dict[str, Any]:
    return {e.key: json.loads(e.value) for e in await ev.sql.state(service, limit=100_000) if e.name == name}


@invariant("payment-state-machines", "charged-xor-cancelled")
async def _charged_xor_cancelled(ev: Evidence) -> Check:
    status = await _json_state(ev, "payments", "status")
    balance = await _json_state(ev, "accounts", "balance")
    wrong = {}
    for token, state in status.items():
        expected = 100_000 - 100 if state == "COMPLETED" else 100_000
        got = balance.get(f"acc-{token}", 100_000)  # never charged: the account may not even exist
        if got != expected:
            wrong[token] = (state, got)
    return Check(
        0,
        "no token both charged and cancelled: each account holds what its token's status says",
        not wrong,
        f"token → (status, balance): {wrong}" if wrong else f"{len(status)} tokens consistent",
    )


@invariant("payment-state-machines", "balances-conserved")
async def _balances_conserved(ev: Evidence) -> Check:
    status = await _json_state(ev, "payments", "status")
    balance = await _json_state(ev, "accounts", "balance")
    charged = 100 * sum(1 for s in status.values() if s == "COMPLETED")
    total = sum(balance.values()) + charged
    expected = 100_000 * len(balance)
    return Check(
        0,
        "money is conserved: balances + completed payments = opening balances",
        total == expected,
        f"{total} vs {expected} over {len(balance)} accounts",
    )


@invariant("batching", "every-item-once")
async def _every_item_once(ev: Evidence) -> Check:
    # A delivery repeated after a crash (same receiver invocation, same items) is one delivery
    # recorded twice (at-least-once of the world's bookkeeping); a second *invocation* with an
    # item would be a real duplicate.
    deliveries = {(e.invocation, tuple(e.args["items"])) for e in ev.ledger if e.action == "batch.received"}
    seen = Counter(item for _, items in deliveries for item in items)
    sent = {o.request.meta["item"] for o in ev.outcomes if o.status == 200}
    doubled = sorted(i for i, n in seen.items() if n > 1)
    missing = sorted(sent - set(seen))
    return Check(
        0,
        "every item delivered exactly once, in one batch",
        not doubled and not missing,
        f"doubled {doubled[:10]}, missing {missing[:10]}"
        if doubled or missing
        else f"{len(seen)} items in {len(deliveries)} batches",
    )


@invariant("batching", "batches-at-most-ten")
async def _at_most_ten(ev: Evidence) -> Check:
    sizes = [e.args["size"] for e in ev.ledger if e.action == "batch.received"]
    big = [s for s in sizes if s > 10]
    return Check(0, "no batch larger than 10", not big, f"sizes over 10: {big}" if big else f"{len(sizes)} batches")


@invariant("event-transactions", "per-key-order")
async def _per_key_order(ev: Evidence) -> Check:
    offsets = {o.request.meta["content"]: o.body["offset"] for o in ev.outcomes if o.request.topic}
    firsts: dict[str, list[int]] = defaultdict(list)
    seen: set[str] = set()
    for e in ev.ledger:  # ledger order is the order the feed was updated in
        if e.action == "feed.updated" and e.args.get("content") not in seen:
            seen.add(e.args["content"])
            firsts[e.args["user"]].append(offsets.get(e.args["content"], -1))
    unordered = sorted(u for u, offs in firsts.items() if offs != sorted(offs))
    return Check(
        0,
        "per user, posts reach the feed in topic order",
        not unordered,
        f"out of order for {unordered}" if unordered else f"{len(firsts)} users in order",
    )


@invariant("event-transactions", "each-record-once")
async def _each_record_once(ev: Evidence) -> Check:
    published = {o.request.meta["content"] for o in ev.outcomes if o.request.topic}
    feeds: dict[str, set[str]] = defaultdict(set)
    for e in ev.ledger:
        if e.action == "feed.updated":
            feeds[e.args["content"]].add(e.invocation or "?")
    twice = sorted(c for c, invs in feeds.items() if len(invs) > 1)
    missing = sorted(published - set(feeds))
    rows = await ev.sql.query(
        "SELECT count(*) AS n FROM sys_invocation "
        "WHERE target_service_name = 'userFeed' AND target_handler_name = 'processPost'"
    )
    invocations = int(rows[0]["n"]) if rows else -1
    ok = not twice and not missing and invocations == len(published)
    return Check(
        0,
        "each record processed by exactly one invocation, and every record processed",
        ok,
        f"{len(published)} records, {invocations} invocations; twice {twice[:5]}, missing {missing[:5]}",
    )


def _locations(info: Any) -> list[Any]:
    """The location names in a package's state (or in a getPackageInfo answer), in stored order."""
    if not isinstance(info, dict):
        return []
    return [loc.get("location") if isinstance(loc, dict) else loc for loc in info.get("locations", [])]


@invariant("event-enrichment", "each-location-once")
async def _each_location_once(ev: Evidence) -> Check:
    published = {o.request.meta["location"]: o.request.key for o in ev.outcomes if o.request.topic}
    packages = await _json_state(ev, "package-tracker", "package-info")
    seen: Counter[str] = Counter()
    misplaced = []
    for package, info in packages.items():
        for stop in _locations(info):
            seen[stop] += 1
            if published.get(stop) != package:
                misplaced.append(stop)
    twice = sorted(s for s, k in seen.items() if k > 1)
    missing = sorted(set(published) - set(seen))
    # One successful updateLocation invocation per record: a record redelivered after a crash would
    # be a second invocation even if its location happened to be stored once.
    rows = await ev.sql.query(
        "SELECT completion_result, count(*) AS n FROM sys_invocation WHERE target_service_name = "
        "'package-tracker' AND target_handler_name = 'updateLocation' GROUP BY completion_result"
    )
    invocations = sum(int(r["n"]) for r in rows)
    succeeded = sum(int(r["n"]) for r in rows if r.get("completion_result") == "success")
    ok = not twice and not missing and not misplaced and invocations == succeeded == len(published)
    return Check(
        0,
        "every published location stored exactly once in its package, by one successful invocation",
        ok,
        f"{len(published)} records, {invocations} invocations ({succeeded} succeeded); twice {twice[:5]}, "
        f"missing {missing[:5]}, in another package {misplaced[:5]}"
        if not ok
        else f"{len(published)} records → {invocations} invocations, each stored once",
    )


@invariant("event-enrichment", "per-key-order")
async def _locations_in_order(ev: Evidence) -> Check:
    offsets = {o.request.meta["location"]: o.body["offset"] for o in ev.outcomes if o.request.topic}
    packages = await _json_state(ev, "package-tracker", "package-info")
    unordered = []
    for package, info in packages.items():
        order = [offsets.get(stop, -1) for stop in _locations(info)]
        if order != sorted(order):
            unordered.append(package)
    return Check(
        0,
        "per package, locations stored in topic order",
        not unordered,
        f"out of order: {sorted(unordered)[:5]}" if unordered else f"{len(packages)} packages in order",
    )


@invariant("event-enrichment", "registration-survives")
async def _registration_survives(ev: Evidence) -> Check:
    sent = {
        o.request.key: (o.request.meta["destination"], o.status) for o in ev.outcomes if "destination" in o.request.meta
    }
    packages = await _json_state(ev, "package-tracker", "package-info")
    lost = {
        package: (status, (packages.get(package) or {}).get("finalDestination"))
        for package, (destination, status) in sent.items()
        if status != 200 or (packages.get(package) or {}).get("finalDestination") != destination
    }
    return Check(
        0,
        "every registration answered and kept, beside the locations joined into it",
        not lost,
        f"package → (status, stored destination): {dict(list(lost.items())[:5])}" if lost else f"{len(sent)} packages",
    )


@invariant("event-enrichment", "reads-see-prefix")
async def _reads_see_prefix(ev: Evidence) -> Check:
    # A read during the chaos sees committed state only: what it saw is never rolled back or reordered.
    packages = await _json_state(ev, "package-tracker", "package-info")
    reads = [o for o in ev.outcomes if o.request.meta.get("read")]
    bad = []
    for o in reads:
        seen, final = _locations(o.body), _locations(packages.get(o.request.key))
        if o.status != 200 or not isinstance(o.body, dict) or seen != final[: len(seen)]:
            bad.append(o.request.n)
    return Check(
        0,
        "every read during the chaos saw a prefix of the package's final locations",
        not bad,
        f"reads not a prefix (request #): {bad[:5]}" if bad else f"{len(reads)} reads",
    )


# -- the run ---------------------------------------------------------------------------------------


@dataclass
class ChaosStats:
    requests: int = 0
    completed: int = 0
    client_retries: int = 0
    kills: list[dict[str, Any]] = field(default_factory=list)
    duration: float = 0.0

    @property
    def throughput(self) -> float:
        return self.completed / self.duration if self.duration else 0.0


async def drive(
    slug: str,
    spec: ChaosSpec,
    ingress_url: str,
    kill: Callable[[str], Awaitable[float]],
    *,
    publish: Callable[[str, str], Awaitable[int]] | None = None,
    requests: int,
    concurrency: int,
    kills: int,
    seed: int,
    targets: tuple[str, ...],
    idempotent: bool,
    note: Callable[[str], None],
) -> tuple[list[ChaosOutcome], ChaosStats]:
    """Send the traffic; meanwhile SIGKILL and restart parts at seeded moments (by progress)."""
    rng = random.Random(seed)
    generator = GENERATORS[slug]
    plan = [generator(rng, n, spec.keys, idempotent) for n in range(requests)]
    # Kill j is triggered when a seeded request index starts: a seed replays the same story, and
    # every kill lands while requests are in flight.
    span = requests / (kills + 1)
    kill_points: dict[int, str] = {}
    for j in range(kills):
        index = int(span * (j + 1) + rng.uniform(-0.3, 0.3) * span)
        while index in kill_points:
            index += 1
        kill_points[index] = rng.choice(targets)
    stats = ChaosStats(requests=requests)
    outcomes: list[ChaosOutcome] = []
    sem = asyncio.Semaphore(concurrency)
    last_kill: asyncio.Task[None] | None = None
    t0 = time.monotonic()

    async def kill_and_restart(target: str) -> None:
        at, answered = time.monotonic() - t0, stats.completed
        took = await kill(target)
        stats.kills.append(
            {"target": target, "at": round(at, 3), "after_requests": answered, "restart_took": round(took, 3)}
        )
        note(f"💥 SIGKILL {target} after {answered} answers; back in {took:.2f} s")

    kill_order = asyncio.Lock()  # kills happen in kill-point order, one at a time

    # Targets go in kill-point order even when a request waiting for another (`after`) reaches its
    # kill point late: the same seed kills the same parts in the same order.
    kill_targets = iter([kill_points[i] for i in sorted(kill_points)])

    async def start_kill() -> None:
        nonlocal last_kill
        async with kill_order:
            target = next(kill_targets)
            if last_kill is not None:
                await last_kill  # the previous part must be back first
            last_kill = asyncio.create_task(kill_and_restart(target))

    finished = {q.after: asyncio.Event() for q in plan if q.after is not None}  # requests others wait for

    async with loopback_async_client(
        timeout=httpx.Timeout(60.0, connect=2.0), limits=httpx.Limits(max_connections=concurrency * 2)
    ) as http:

        async def one(req: ChaosRequest) -> None:
            try:
                await send(req)
            finally:  # set even without an answer: a dependent request must not hang the run
                if req.n in finished:
                    finished[req.n].set()

        async def send(req: ChaosRequest) -> None:
            outcome = ChaosOutcome(req)
            headers = {"idempotency-key": req.idempotency_key} if req.idempotency_key else {}
            if req.after is not None:
                await finished[req.after].wait()  # outside the semaphore: waiting holds no slot
            async with sem:
                if req.n in kill_points:
                    await start_kill()
                if req.topic is not None and publish is not None:
                    # Kafka: the broker is not killed, so one acknowledged publish is the record.
                    outcome.attempts = 1
                    outcome.status, outcome.body = 200, {"offset": await publish(req.topic, req.target)}
                    outcome.done_at = time.monotonic() - t0
                    stats.completed += 1
                    outcomes.append(outcome)
                    return
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    outcome.attempts += 1
                    try:
                        resp = await http.post(f"{ingress_url}/{req.target}", json=req.body, headers=headers)
                    except httpx.TransportError:
                        # The server is down (or went down mid-request): a real client retries. With an
                        # idempotency key the retry attaches to the same invocation; without, it is a new one.
                        await asyncio.sleep(0.1)
                        continue
                    if resp.status_code in (502, 503, 504):  # the server is (re)starting
                        await asyncio.sleep(0.1)
                        continue
                    outcome.status = resp.status_code
                    try:
                        outcome.body = resp.json()
                    except ValueError:
                        outcome.body = resp.text
                    break
            outcome.done_at = time.monotonic() - t0
            stats.client_retries += outcome.attempts - 1
            if outcome.status is not None:
                stats.completed += 1
            outcomes.append(outcome)

        await asyncio.gather(*(one(r) for r in plan))
        if last_kill is not None:
            await last_kill
        stats.duration = time.monotonic() - t0
    return outcomes, stats


async def wait_idle(
    sql: Introspection, services: tuple[str, ...], timeout: float = 60.0, settle: float = 0.0, at_least: int = 0
) -> bool:
    """Wait until the pattern's invocations are done. Scheduled ones (timers) do not count: a
    payment token's one-hour expiry is meant to still be pending. A pattern whose invariants need
    short timers to fire first (batching's linger) declares `settle` seconds to wait for them."""
    names = ", ".join(f"'{s}'" for s in services)
    query = (
        f"SELECT count(*) AS n FROM sys_invocation WHERE target_service_name IN ({names}) "
        "AND status NOT IN ('completed', 'scheduled')"
    )
    deadline = time.monotonic() + timeout
    # Records published to Kafka become invocations only once Restate consumed them: wait for them.
    while at_least:
        rows = await sql.query(f"SELECT count(*) AS n FROM sys_invocation WHERE target_service_name IN ({names})")
        if rows and int(rows[0]["n"]) >= at_least:
            break
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.2)
    for pause in (settle, 0.0) if settle else (0.0,):
        await asyncio.sleep(pause)
        while True:
            rows = await sql.query(query)
            if rows and int(rows[0]["n"]) == 0:
                break
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.2)
    return True


async def check_invariants(slug: str, spec: ChaosSpec, evidence: Evidence) -> list[Check]:
    checks = []
    for name in spec.invariants:
        check = await INVARIANTS[(slug, name)](evidence)
        check.description = f"[{name}] {check.description}"
        checks.append(check)
    unanswered = [o for o in evidence.outcomes if o.status is None]
    checks.append(Check(0, "every request got an answer", not unanswered, f"{len(unanswered)} without answer"))
    return checks


def at_least_once(ledger: list[LedgerEntry]) -> list[tuple[str, dict[str, Any], int]]:
    """External actions recorded more than once for the same invocation: a crash hit before the
    step's result was journaled, so the retry did it again."""
    counts: Counter[tuple[str, str, str]] = Counter()
    args: dict[tuple[str, str, str], dict[str, Any]] = {}
    for e in ledger:
        if e.invocation and e.action != "fault.injected":
            k = (e.invocation, e.action, repr(sorted(e.args.items())))
            counts[k] += 1
            args[k] = e.args
    return [(k[1], args[k], n) for k, n in counts.items() if n > 1]
