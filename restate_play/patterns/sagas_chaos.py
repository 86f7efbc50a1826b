"""Chaos for Sagas: one trip per request, some to the fully booked hotel (their saga compensates),
while the service and the server are killed. Each trip is kept whole or undone whole, by one saga."""

from __future__ import annotations

import random
from collections import defaultdict

from restate_play.world.chaos_api import (
    ChaosOutcome,
    ChaosRequest,
    Evidence,
    PatternChaos,
    Verdict,
    and_join,
    invocation_ids,
    ledger_lines,
)
from restate_play.world.ledger import LedgerEntry

chaos = PatternChaos("sagas")
BOOKINGS = ("flight", "car", "hotel")


@chaos.traffic
def trip(rng: random.Random, n: int, *, keys: int, idempotent: bool) -> ChaosRequest:
    customer = f"c{n}"
    arrival = "2024-12-16" if rng.random() < 0.3 else "2025-02-01"  # the fully booked date, sometimes
    body = {
        "customerId": customer,
        "flights": {"flightId": f"F{n}", "passengerName": "Chaos Monkey"},
        "car": {"pickupLocation": "Airport", "rentalDate": arrival},
        "hotel": {"arrivalDate": arrival, "departureDate": "2025-02-05"},
    }
    return ChaosRequest(
        n=n,
        target="BookingWorkflow/run",
        body=body,
        idempotency_key=f"trip-{n}" if idempotent else None,
        key=customer,
    )


def _by_customer(ev: Evidence) -> dict[str, list[LedgerEntry]]:
    per_customer: dict[str, list[LedgerEntry]] = defaultdict(list)
    for e in ev.ledger:
        if "customer" in e.args:
            per_customer[e.args["customer"]].append(e)
    return per_customer


def _request_of(ev: Evidence, customer: str) -> str:
    outcome: ChaosOutcome | None = next((o for o in ev.outcomes if o.request.key == customer), None)
    return str(outcome) if outcome else "no request of this run"


def _half_done(ev: Evidence, customer: str, entries: list[LedgerEntry]) -> str | None:
    """The sentence for a trip neither kept whole nor compensated whole, or None when it is fine."""
    booked = [e for e in entries if e.action.endswith(".book")]
    cancelled = [e for e in entries if e.action.endswith(".cancel")]
    booked_kinds = {e.action.split(".")[0] for e in booked}
    cancelled_kinds = {e.action.split(".")[0] for e in cancelled}
    kept = booked_kinds == set(BOOKINGS) and not cancelled
    compensated = bool(cancelled) and booked_kinds <= cancelled_kinds
    if kept or compensated:
        return None
    cancels = (
        f"cancelled {and_join(sorted(cancelled_kinds))} ({ledger_lines(cancelled)})"
        if cancelled
        else "cancelled nothing"
    )
    return (
        f"customer {customer}'s trip booked {and_join(sorted(booked_kinds)) or 'nothing'} ({ledger_lines(booked)}) "
        f"and {cancels}: neither kept whole (flight, car and hotel booked, nothing cancelled) nor compensated "
        f"(every booking cancelled); {_request_of(ev, customer)}"
    )


@chaos.invariant("all-or-nothing", "every booking fully kept or fully compensated (ledger)")
def all_or_nothing(ev: Evidence) -> Verdict:
    per_customer = _by_customer(ev)
    anomalies = [
        sentence
        for customer, entries in sorted(per_customer.items())
        if (sentence := _half_done(ev, customer, entries))
    ]
    return Verdict.tally(anomalies, len(per_customer), "trips half-done", "trips consistent")


@chaos.invariant("one-saga-per-trip", "each trip ran as one saga, however often the client retried")
def one_saga(ev: Evidence) -> Verdict:
    flights = {c: [e for e in es if e.action == "flight.book" and e.invocation] for c, es in _by_customer(ev).items()}
    booked = {c: es for c, es in flights.items() if es}
    anomalies = []
    for customer, entries in sorted(booked.items()):
        sagas = {e.invocation for e in entries}
        if len(sagas) > 1:
            anomalies.append(
                f"customer {customer}'s trip booked flight {entries[0].args.get('flight')} {len(entries)} times "
                f"({ledger_lines(entries)}, {invocation_ids(sagas)}), but one trip must run as one saga; "
                f"{_request_of(ev, customer)}"
            )
    return Verdict.tally(anomalies, len(booked), "trips booked by several invocations", "trips")
