"""Chaos invariants on synthetic evidence: at-least-once repeats pass, real interleavings fail."""

import asyncio

from restate_play.scenario.chaos import INVARIANTS, ChaosOutcome, ChaosRequest, Evidence, at_least_once
from restate_play.world.ledger import LedgerEntry


def ledger(*rows):
    return [LedgerEntry(i + 1, float(i), action, args, inv) for i, (action, args, inv) in enumerate(rows)]


def check(slug, name, entries, outcomes=()):
    return asyncio.run(INVARIANTS[(slug, name)](Evidence(list(outcomes), entries, None, ())))


def test_repeated_steps_after_a_crash_are_not_interleavings():
    m = {"machine": "m1"}
    entries = ledger(
        ("machine.begin", {**m, "to": "UP"}, "a"),
        ("machine.begin", {**m, "to": "UP"}, "a"),  # re-run after a crash: at-least-once
        ("machine.done", {**m, "to": "UP"}, "a"),
        ("machine.done", {**m, "to": "UP"}, "a"),  # the same for the last step
        ("machine.begin", {**m, "to": "DOWN"}, "b"),
        ("machine.done", {**m, "to": "DOWN"}, "b"),
    )
    assert check("stateful-actors", "transitions-in-order", entries).passed
    assert {(a, n) for a, _, n in at_least_once(entries)} == {("machine.begin", 2), ("machine.done", 2)}


def test_interleaved_transitions_are_caught():
    m = {"machine": "m1"}
    entries = ledger(
        ("machine.begin", {**m, "to": "UP"}, "a"),
        ("machine.begin", {**m, "to": "DOWN"}, "b"),  # a second transition began before the first was done
        ("machine.done", {**m, "to": "UP"}, "a"),
        ("machine.done", {**m, "to": "DOWN"}, "b"),
    )
    result = check("stateful-actors", "transitions-in-order", entries)
    assert not result.passed and "m1" in result.detail


def test_two_winners_for_one_product_are_caught():
    def answer(n, reservation, body):
        return ChaosOutcome(
            ChaosRequest(n, "product/p1/reserve", None, reservation, "p1", {"reservation": reservation}), 200, body
        )

    good = [answer(0, "p1-r0", True), answer(1, "p1-r1", False), answer(2, "p1-r0", True)]
    assert check("durable-rpc", "one-winner-per-product", [], good).passed
    assert check("durable-rpc", "winner-repeats-get-true", [], good).passed
    bad = [answer(0, "p1-r0", True), answer(1, "p1-r1", True), answer(2, "p1-r0", False)]
    assert not check("durable-rpc", "one-winner-per-product", [], bad).passed
    assert not check("durable-rpc", "winner-repeats-get-true", [], bad).passed


def test_half_done_saga_is_caught():
    c = {"customer": "c1"}
    kept = ledger(("flight.book", c, "x"), ("car.book", c, "x"), ("hotel.book", c, "x"))
    compensated = ledger(
        ("flight.book", c, "x"),
        ("car.book", c, "x"),
        ("hotel.rejected", c, "x"),
        ("hotel.cancel", c, "x"),
        ("car.cancel", c, "x"),
        ("flight.cancel", c, "x"),
    )
    half = ledger(("flight.book", c, "x"), ("car.book", c, "x"), ("car.cancel", c, "x"))
    assert check("sagas", "all-or-nothing", kept).passed
    assert check("sagas", "all-or-nothing", compensated).passed
    assert not check("sagas", "all-or-nothing", half).passed
    doubled = ledger(("flight.book", c, "x"), ("flight.book", c, "y"))
    assert not check("sagas", "one-saga-per-trip", doubled).passed


def test_batch_recorded_twice_by_one_invocation_is_one_delivery():
    def sent(n):
        return ChaosOutcome(ChaosRequest(n, "batcher/k0/receive", n, None, "k0", {"item": n}), 200, None)

    outcomes = [sent(n) for n in range(4)]
    once = ledger(
        ("batch.received", {"key": "k0", "size": 2, "items": [0, 1]}, "recv-1"),
        ("batch.received", {"key": "k0", "size": 2, "items": [0, 1]}, "recv-1"),  # the same run, re-recorded
        ("batch.received", {"key": "k0", "size": 2, "items": [2, 3]}, "recv-2"),
    )
    assert check("batching", "every-item-once", once, outcomes).passed
    twice = ledger(
        ("batch.received", {"key": "k0", "size": 2, "items": [0, 1]}, "recv-1"),
        ("batch.received", {"key": "k0", "size": 3, "items": [1, 2, 3]}, "recv-2"),  # item 1 delivered again
    )
    result = check("batching", "every-item-once", twice, outcomes)
    assert not result.passed and "doubled [1]" in result.detail
    lost = ledger(("batch.received", {"key": "k0", "size": 2, "items": [0, 1]}, "recv-1"))
    assert "missing [2, 3]" in check("batching", "every-item-once", lost, outcomes).detail


class _NoInvocations:
    """Stands in for introspection: Restate ran `n` processPost invocations."""

    def __init__(self, n):
        self.n = n

    async def query(self, _sql):
        return [{"n": self.n}]


def test_event_order_and_once_per_record():
    def published(n, user, offset):
        return ChaosOutcome(
            ChaosRequest(n, "", None, None, user, {"content": f"post {n}"}, topic="t"), 200, {"offset": offset}
        )

    outcomes = [published(0, "u1", 0), published(1, "u2", 1), published(2, "u1", 2)]

    def feed(content, user, inv):
        return ("feed.updated", {"user": user, "content": content}, inv)

    in_order = ledger(feed("post 1", "u2", "b"), feed("post 0", "u1", "a"), feed("post 2", "u1", "c"))
    ev = Evidence(outcomes, in_order, _NoInvocations(3), ())
    assert asyncio.run(INVARIANTS[("event-transactions", "per-key-order")](ev)).passed
    assert asyncio.run(INVARIANTS[("event-transactions", "each-record-once")](ev)).passed
    swapped = ledger(feed("post 2", "u1", "c"), feed("post 0", "u1", "a"), feed("post 1", "u2", "b"))
    ev = Evidence(outcomes, swapped, _NoInvocations(3), ())
    assert not asyncio.run(INVARIANTS[("event-transactions", "per-key-order")](ev)).passed
    doubled = ledger(feed("post 0", "u1", "a"), feed("post 0", "u1", "x"), feed("post 1", "u2", "b"))
    ev = Evidence(outcomes, doubled, _NoInvocations(4), ())
    result = asyncio.run(INVARIANTS[("event-transactions", "each-record-once")](ev))
    assert not result.passed and "post 0" in result.detail and "post 2" in result.detail


class _Packages:
    """Stands in for introspection: package-tracker's state, and `invocations` updateLocation runs
    (as (completion_result, count) rows)."""

    def __init__(self, packages, invocations):
        self.packages, self.invocations = packages, invocations

    async def state(self, service, limit=500):
        import json

        from restate_play.restate.records import StateEntry

        return [StateEntry(service, k, "package-info", json.dumps(v)) for k, v in self.packages.items()]

    async def query(self, _sql):
        return [{"completion_result": r, "n": n} for r, n in self.invocations]


def test_event_enrichment_locations_once_in_order_and_registrations_kept():
    def register(n, package):
        req = ChaosRequest(n, "", {}, None, package, {"destination": f"Dock {n}"})
        return ChaosOutcome(req, 200, None)

    def located(n, package, offset):
        req = ChaosRequest(n, "", None, None, package, {"location": f"Stop {n}"}, topic="t", after=0)
        return ChaosOutcome(req, 200, {"offset": offset})

    def read(n, package, stops):
        body = {"finalDestination": "x", "locations": [{"location": s} for s in stops]}
        return ChaosOutcome(ChaosRequest(n, "", None, None, package, {"read": True}), 200, body)

    outcomes = [register(0, "a"), register(1, "b"), located(2, "a", 0), located(3, "b", 1), located(4, "a", 2)]
    outcomes.append(read(5, "a", ["Stop 2"]))

    def info(destination, *stops):
        return {"finalDestination": destination, "locations": [{"location": s, "timestamp": "t"} for s in stops]}

    def run(name, packages, invocations=(("success", 3),)):
        ev = Evidence(outcomes, [], _Packages(packages, list(invocations)), ())
        return asyncio.run(INVARIANTS[("event-enrichment", name)](ev))

    good = {"a": info("Dock 0", "Stop 2", "Stop 4"), "b": info("Dock 1", "Stop 3")}
    for name in ("each-location-once", "per-key-order", "registration-survives", "reads-see-prefix"):
        assert run(name, good).passed, name

    doubled = {"a": info("Dock 0", "Stop 2", "Stop 4", "Stop 2"), "b": info("Dock 1", "Stop 3")}
    result = run("each-location-once", doubled, [("success", 4)])
    assert not result.passed and "Stop 2" in result.detail
    lost = {"a": info("Dock 0", "Stop 2"), "b": info("Dock 1", "Stop 3")}
    assert "missing ['Stop 4']" in run("each-location-once", lost).detail
    # Stored once, but a second invocation (a redelivered record) or a failed one is still caught.
    assert not run("each-location-once", good, [("success", 4)]).passed
    assert not run("each-location-once", good, [("success", 2), ("failure", 1)]).passed
    misplaced = {"a": info("Dock 0", "Stop 2", "Stop 4", "Stop 3"), "b": info("Dock 1")}
    assert "in another package ['Stop 3']" in run("each-location-once", misplaced).detail

    swapped = {"a": info("Dock 0", "Stop 4", "Stop 2"), "b": info("Dock 1", "Stop 3")}
    result = run("per-key-order", swapped)
    assert not result.passed and "'a'" in result.detail
    assert not run("reads-see-prefix", swapped).passed  # the read saw Stop 2 first

    forgotten = {"a": {"locations": good["a"]["locations"]}, "b": good["b"]}
    result = run("registration-survives", forgotten)
    assert not result.passed and "'a'" in result.detail
