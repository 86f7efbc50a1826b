"""Each pattern's chaos invariants on synthetic evidence: what must hold holds (at-least-once repeats
included), and a violation is explained in sentences naming the requests, ledger lines and state."""

from __future__ import annotations

import pytest

from restate_play.patterns.batching_chaos import chaos as batching
from restate_play.patterns.durable_rpc_chaos import chaos as durable_rpc
from restate_play.patterns.event_enrichment_chaos import chaos as event_enrichment
from restate_play.patterns.event_transactions_chaos import chaos as event_transactions
from restate_play.patterns.payment_state_machines_chaos import chaos as payment_state_machines
from restate_play.patterns.sagas_chaos import chaos as sagas
from restate_play.patterns.stateful_actors_chaos import chaos as stateful_actors
from restate_play.restate.records import Invocation
from restate_play.scenario.chaos import at_least_once
from restate_play.world.chaos_api import ChaosOutcome, ChaosRequest, Evidence, Verdict, and_join, ledger_lines
from restate_play.world.ledger import LedgerEntry


def ledger(*rows):
    """Ledger entries numbered like the file's lines, from 1."""
    return [LedgerEntry(i + 1, float(i), action, args, inv) for i, (action, args, inv) in enumerate(rows)]


def answer(n, body=None, *, status=200, invocation=None, **request):
    return ChaosOutcome(ChaosRequest(n=n, **{"target": "x", **request}), status, body, 1, invocation=invocation)


def invocations(service, handler, *results):
    return [
        Invocation(f"inv_{i}", f"{service}/{handler}", service, handler, None, "completed", completion_result=r)
        for i, r in enumerate(results)
    ]


def judge(chaos, name, outcomes=(), entries=(), state=None, invs=()) -> Verdict:
    return chaos.invariants[name].check(Evidence(list(outcomes), list(entries), state or {}, list(invs)))


def failed(verdict: Verdict, *words: str) -> str:
    """The verdict failed, and one of its sentences holds every word; returns that sentence."""
    assert not verdict.passed and verdict.anomalies, verdict
    text = next((s for s in verdict.anomalies if all(w in s for w in words)), None)
    assert text is not None, (words, verdict.anomalies)
    return text


def test_words_for_explanations():
    assert and_join([1]) == "1" and and_join([1, 2]) == "1 and 2" and and_join([1, 2, 3]) == "1, 2 and 3"
    entries = ledger(("a", {}, None), ("b", {}, None))
    assert ledger_lines(entries[:1]) == "ledger line 1" and ledger_lines(entries) == "ledger lines 1 and 2"
    request = ChaosRequest(n=3, target="BookingWorkflow/run", idempotency_key="trip-3")
    assert str(request) == "request #3 (BookingWorkflow/run, idempotency key trip-3)"
    retried = ChaosOutcome(request, 200, None, 2, invocation="inv_a")
    assert str(retried) == "request #3 (BookingWorkflow/run, idempotency key trip-3) → 200 from inv_a after 2 attempts"
    assert Verdict("ok").passed and not Verdict("1 bad", ["why"]).passed


# -- durable-rpc ----------------------------------------------------------------------------------


def reservation(n, reservation_id, body, invocation=None):
    return answer(
        n, body, invocation=invocation, key="p1", meta={"reservation": reservation_id}, idempotency_key=reservation_id
    )


def test_durable_rpc_one_winner_and_same_answers():
    good = [reservation(0, "p1-r0", True), reservation(1, "p1-r1", False), reservation(2, "p1-r0", True)]
    assert judge(durable_rpc, "one-winner-per-product", good).passed
    assert judge(durable_rpc, "winner-repeats-get-true", good).passed
    bad = [
        reservation(0, "p1-r0", True, "inv_a"),
        reservation(1, "p1-r1", True),
        reservation(2, "p1-r0", False, "inv_b"),
    ]
    failed(judge(durable_rpc, "one-winner-per-product", bad), "product p1", "p1-r0 (request #0", "p1-r1 (request #1")
    sentence = failed(judge(durable_rpc, "winner-repeats-get-true", bad), "p1-r0", "true for request #0", "inv_a")
    assert "false for request #2" in sentence and "inv_b" in sentence


def test_durable_rpc_repeat_without_idempotency_key_says_why():
    outcomes = [
        answer(0, True, key="p1", meta={"reservation": "p1-r0"}),
        answer(1, False, key="p1", meta={"reservation": "p1-r0"}),
    ]
    failed(judge(durable_rpc, "winner-repeats-get-true", outcomes), "no idempotency key", "a new invocation")


# -- sagas ----------------------------------------------------------------------------------------


def test_sagas_kept_or_compensated_whole():
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
    assert judge(sagas, "all-or-nothing", entries=kept).passed
    assert judge(sagas, "all-or-nothing", entries=compensated).passed
    half = ledger(("flight.book", c, "x"), ("car.book", c, "x"), ("car.cancel", c, "x"))
    trip = answer(1, {"code": 500}, status=500, key="c1", invocation="x")
    sentence = failed(judge(sagas, "all-or-nothing", [trip], half), "customer c1", "booked car and flight")
    assert "(ledger lines 1 and 2)" in sentence and "cancelled car (ledger line 3)" in sentence
    assert "request #1 (x, no idempotency key) → 500 from x" in sentence


def test_sagas_one_saga_per_trip():
    c = {"customer": "c1", "flight": "F1"}
    assert judge(sagas, "one-saga-per-trip", entries=ledger(("flight.book", c, "x"), ("flight.book", c, "x"))).passed
    doubled = ledger(("flight.book", c, "x"), ("car.book", c, "x"), ("flight.book", c, "y"))
    retried = ChaosOutcome(ChaosRequest(n=1, target="BookingWorkflow/run", key="c1"), 200, None, 3, invocation="y")
    sentence = failed(judge(sagas, "one-saga-per-trip", [retried], doubled), "customer c1", "flight F1 2 times")
    assert "ledger lines 1 and 3, invocations x and y" in sentence and "after 3 attempts" in sentence


# -- stateful-actors ------------------------------------------------------------------------------


def test_stateful_actors_repeated_steps_after_a_crash_are_not_interleavings():
    m = {"machine": "m1"}
    entries = ledger(
        ("machine.begin", {**m, "to": "UP"}, "a"),
        ("machine.begin", {**m, "to": "UP"}, "a"),  # re-run after a crash: at-least-once
        ("machine.done", {**m, "to": "UP"}, "a"),
        ("machine.done", {**m, "to": "UP"}, "a"),  # the same for the last step
        ("machine.begin", {**m, "to": "DOWN"}, "b"),
        ("machine.done", {**m, "to": "DOWN"}, "b"),
    )
    assert judge(stateful_actors, "transitions-in-order", entries=entries).passed
    assert {(a, n) for a, _, n in at_least_once(entries)} == {("machine.begin", 2), ("machine.done", 2)}
    state = {"machineOperator": {"m1": {"state": "DOWN"}}}
    assert judge(stateful_actors, "state-matches-last-transition", entries=entries, state=state).passed
    wrong = {"machineOperator": {"m1": {"state": "UP"}}}
    sentence = failed(
        judge(stateful_actors, "state-matches-last-transition", entries=entries, state=wrong),
        "machine m1's state is UP",
        "ledger line 6 (invocation b)",
        "went to DOWN",
    )
    assert "machineOperator/m1 'state'" in sentence


def test_stateful_actors_interleaved_transitions_are_explained():
    m = {"machine": "m1"}
    entries = ledger(
        ("machine.begin", {**m, "to": "UP"}, "a"),
        ("machine.begin", {**m, "to": "DOWN"}, "b"),  # a second transition began before the first was done
        ("machine.done", {**m, "to": "UP"}, "a"),
        ("machine.done", {**m, "to": "DOWN"}, "b"),
    )
    failed(
        judge(stateful_actors, "transitions-in-order", entries=entries),
        "began a transition to DOWN on ledger line 2 (invocation b)",
        "UP from ledger line 1 (invocation a)",
    )
    orphan = ledger(("machine.done", {**m, "to": "UP"}, "a"))
    failed(judge(stateful_actors, "transitions-in-order", entries=orphan), "ledger line 1", "no earlier line began")


# -- payment-state-machines -----------------------------------------------------------------------


def payments_state(**tokens):
    """token → (status, balance or None for an account never opened)."""
    return {
        "payments": {t: {"status": status} for t, (status, _) in tokens.items()},
        "accounts": {f"acc-{t}": {"balance": b} for t, (_, b) in tokens.items() if b is not None},
    }


def test_payments_charged_xor_cancelled_and_conserved():
    good = payments_state(t1=("COMPLETED", 99_900), t2=("CANCELLED", 100_000), t3=("CANCELLED", None))
    for name in ("charged-xor-cancelled", "balances-conserved"):
        assert judge(payment_state_machines, name, state=good).passed, name
    outcomes = [
        answer(0, key="t1", target="payments/t1/makePayment"),
        answer(4, key="t1", target="payments/t1/cancelPayment"),
    ]
    entries = ledger(
        ("account.opened", {"account": "acc-t1", "balance": 100_000}, "w"),
        ("account.withdraw", {"account": "acc-t1", "amount": 100, "balance": 99_900}, "w"),
    )
    both = payments_state(t1=("CANCELLED", 99_900), t2=("COMPLETED", 99_900))
    sentence = failed(
        judge(payment_state_machines, "charged-xor-cancelled", outcomes, entries, both),
        "token t1's status is CANCELLED",
        "acc-t1 holds 99900 cents, not 100000",
    )
    assert "its bookings: ledger line 2" in sentence and "#0 and #4" in sentence
    failed(
        judge(payment_state_machines, "balances-conserved", state=both),
        "hold 199800 cents",
        "opened with 200000 (-100 cents)",
        "t1 (CANCELLED, 99900 cents)",
    )


# -- batching -------------------------------------------------------------------------------------


def item(n):
    return answer(n, key="k0", meta={"item": n}, target="batcher/k0/receive")


def batch(items, invocation):
    return ("batch.received", {"key": "k0", "size": len(items), "items": items}, invocation)


def test_batching_one_delivery_recorded_twice_by_one_invocation_is_once():
    outcomes = [item(n) for n in range(4)]
    once = ledger(batch([0, 1], "recv-1"), batch([0, 1], "recv-1"), batch([2, 3], "recv-2"))
    assert judge(batching, "every-item-once", outcomes, once).passed
    assert judge(batching, "batches-at-most-ten", outcomes, once).passed


def test_batching_doubled_missing_and_oversized_are_explained():
    outcomes = [item(n) for n in range(4)]
    twice = judge(batching, "every-item-once", outcomes, ledger(batch([0, 1], "recv-1"), batch([1, 2, 3], "recv-2")))
    assert "doubled [1]" in twice.summary
    failed(twice, "item 1 (request #1", "2 batches (ledger lines 1 and 2, by invocations recv-1 and recv-2)")
    lost = judge(batching, "every-item-once", outcomes, ledger(batch([0, 1], "recv-1")))
    assert "missing [2, 3]" in lost.summary
    failed(lost, "item 3 (request #3", "in no batch.received line")
    big = judge(batching, "batches-at-most-ten", entries=ledger(batch([0], "r"), batch(list(range(11)), "recv-9")))
    failed(big, "batch on ledger line 2", "invocation recv-9", "holds 11 items")


# -- event-transactions ---------------------------------------------------------------------------


def post(n, user, offset):
    return answer(n, {"offset": offset}, key=user, meta={"content": f"post {n}"}, topic="t")


def feed(n, user, invocation):
    return ("feed.updated", {"user": user, "content": f"post {n}"}, invocation)


POSTS = [post(0, "u1", 0), post(1, "u2", 1), post(2, "u1", 2)]


def test_event_transactions_in_order_once_per_record():
    in_order = ledger(feed(1, "u2", "b"), feed(0, "u1", "a"), feed(2, "u1", "c"))
    runs = invocations("userFeed", "processPost", "success", "success", "success")
    assert judge(event_transactions, "per-key-order", POSTS, in_order, invs=runs).passed
    assert judge(event_transactions, "each-record-once", POSTS, in_order, invs=runs).passed


def test_event_transactions_violations_are_explained():
    swapped = ledger(feed(2, "u1", "c"), feed(0, "u1", "a"), feed(1, "u2", "b"))
    failed(
        judge(event_transactions, "per-key-order", POSTS, swapped),
        "u1's feed got 'post 2' (offset 2, ledger line 1) before 'post 0' (offset 0, ledger line 2)",
    )
    doubled = ledger(feed(0, "u1", "a"), feed(0, "u1", "x"), feed(1, "u2", "b"))
    runs = invocations("userFeed", "processPost", *["success"] * 4)
    verdict = judge(event_transactions, "each-record-once", POSTS, doubled, invs=runs)
    assert "post 0" in verdict.summary and "post 2" in verdict.summary
    failed(verdict, "'post 0' (request #0", "invocations a and x (ledger lines 1 and 2)")
    failed(verdict, "'post 2' (request #2", "offset 2", "in no feed.updated line")
    failed(verdict, "Restate ran 4 userFeed/processPost invocations for 3 published records")


# -- event-enrichment -----------------------------------------------------------------------------


def register(n, package):
    return answer(
        n, key=package, meta={"destination": f"Dock {n}"}, target=f"package-tracker/{package}/registerPackage"
    )


def located(n, package, offset):
    return answer(n, {"offset": offset}, key=package, meta={"location": f"Stop {n}"}, topic="t", after=0)


def read(n, package, stops):
    body = {"finalDestination": "x", "locations": [{"location": s} for s in stops]}
    return answer(n, body, key=package, meta={"read": True})


def info(destination, *stops):
    return {"finalDestination": destination, "locations": [{"location": s, "timestamp": "t"} for s in stops]}


TRACKED = [
    register(0, "a"),
    register(1, "b"),
    located(2, "a", 0),
    located(3, "b", 1),
    located(4, "a", 2),
    read(5, "a", ["Stop 2"]),
]
GOOD = {"a": info("Dock 0", "Stop 2", "Stop 4"), "b": info("Dock 1", "Stop 3")}


def enrichment(name, packages, results=("success",) * 3):
    runs = invocations("package-tracker", "updateLocation", *results)
    state = {"package-tracker": {k: {"package-info": v} for k, v in packages.items()}}
    return judge(event_enrichment, name, TRACKED, state=state, invs=runs)


@pytest.mark.parametrize("name", ["each-location-once", "per-key-order", "registration-survives", "reads-see-prefix"])
def test_event_enrichment_holds(name):
    assert enrichment(name, GOOD).passed


def test_event_enrichment_locations_stored_once_in_their_package():
    doubled = {"a": info("Dock 0", "Stop 2", "Stop 4", "Stop 2"), "b": info("Dock 1", "Stop 3")}
    failed(
        enrichment("each-location-once", doubled, ("success",) * 4),
        "'Stop 2' (request #2",
        "stored 2 times in package a",
        "package-tracker/a 'package-info'",
    )
    lost = {"a": info("Dock 0", "Stop 2"), "b": info("Dock 1", "Stop 3")}
    failed(enrichment("each-location-once", lost), "'Stop 4' (request #4", "for a) is stored in no package")
    # Stored once, but a second invocation (a redelivered record) or a failed one is still caught.
    failed(enrichment("each-location-once", GOOD, ("success",) * 4), "Restate ran 4", "for 3 published records")
    failed(enrichment("each-location-once", GOOD, ("success", "success", "failure")), "failed: inv_2")
    misplaced = {"a": info("Dock 0", "Stop 2", "Stop 4", "Stop 3"), "b": info("Dock 1")}
    failed(enrichment("each-location-once", misplaced), "'Stop 3' (request #3", "published for b but is stored in a")


def test_event_enrichment_order_registrations_and_reads():
    swapped = {"a": info("Dock 0", "Stop 4", "Stop 2"), "b": info("Dock 1", "Stop 3")}
    failed(
        enrichment("per-key-order", swapped),
        "package a (package-tracker/a 'package-info') stores",
        "'Stop 4' (offset 2) before 'Stop 2' (offset 0)",
    )
    failed(enrichment("reads-see-prefix", swapped), "request #5", "as ['Stop 2']", "['Stop 4', 'Stop 2']")
    forgotten = {"a": {"locations": GOOD["a"]["locations"]}, "b": GOOD["b"]}
    failed(
        enrichment("registration-survives", forgotten),
        "package a was registered for 'Dock 0' by request #0",
        "holds destination null",
    )
