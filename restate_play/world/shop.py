"""The outside world of the exercises: a card provider, a warehouse, a mailer, flights and hotels.

Every call appends what it did to the world ledger, so an exercise's checks can count charges,
refunds and e-mails the way a bank statement would, whatever the handler's code says. Faults
(`[world.faults]` of a check) make the provider fail, lose its answer, or time out at the moments
that expose a mistake; the counts live in the ledger, so "fail once" survives a crash.
"""

from __future__ import annotations

import os
import time

from restate_play.world import ledger
from restate_play.world.faults import latency, should_fail


class ProviderUnavailable(Exception):
    """A network blip: the provider could not be reached. Trying again later works."""


class CardDeclined(Exception):
    """The bank said no. Trying again gives the same answer."""


class Timeout(Exception):
    """The API did not answer in time, but the request may well have gone through."""


def charge(order: str, amount: int, idempotency_key: str | None = None) -> str:
    """Charge the card. With an idempotency key, a repeat returns the first charge instead of a new one."""
    latency("card.charge", order)
    if idempotency_key:
        earlier = [e for e in ledger.read() if e.matches("card.charged", idempotency_key=idempotency_key)]
        if earlier:
            ledger.record("card.charge.deduplicated", order=order, idempotency_key=idempotency_key)
            return str(earlier[0].args["charge"])
    charge_id = f"ch_{order}_{time.time_ns() % 1_000_000}"
    ledger.record("card.charged", order=order, amount=amount, idempotency_key=idempotency_key, charge=charge_id)
    print(f"Provider: charged {amount} for {order} ({charge_id})", flush=True)
    _maybe_die_before_answering("card.charge.answer_lost", order)
    return charge_id


def refund(order: str, amount: int) -> None:
    if should_fail("card.refund", order):
        raise ProviderUnavailable(f"the refund API for {order} is unavailable right now")
    ledger.record("card.refunded", order=order, amount=amount)
    print(f"Provider: refunded {amount} for {order}", flush=True)


def authorize(card: str, amount: int) -> str:
    if card.startswith("declined"):
        ledger.record("card.declined", card=card, amount=amount)
        raise CardDeclined(f"card {card} was declined by the bank")
    if should_fail("provider.unavailable", card):
        raise ProviderUnavailable("the card provider did not answer (connection reset)")
    ledger.record("card.authorized", card=card, amount=amount)
    return f"auth_{card}"


def start_payment(order: str, callback: str | None = None) -> None:
    """The provider takes the payment; with a callback (an awakeable id) it calls back when paid."""
    ledger.record("payment.started", order=order, callback=bool(callback))
    if callback:
        print(f"Provider: will POST /restate/awakeables/{callback}/resolve when {order} is paid", flush=True)


def payment_status(order: str) -> str:
    """The provider's status API: 'paid' a second after the payment started, 'pending' before."""
    ledger.record("provider.status_asked", order=order)
    started = [e.ts for e in ledger.read() if e.matches("payment.started", order=order)]
    return "paid" if started and time.time() - started[0] >= 1.0 else "pending"


def ship(order: str) -> None:
    ledger.record("order.shipped", order=order)


def send_email(to: str, kind: str) -> None:
    ledger.record("email.sent", to=to, kind=kind)
    print(f"Mailer: sent the {kind} e-mail to {to}", flush=True)


def book(kind: str, trip: str) -> str:
    """Book a flight or a hotel; with a `<kind>.timeout` fault the booking goes through but the answer is lost."""
    ledger.record(f"{kind}.booked", trip=trip)
    if should_fail(f"{kind}.timeout", trip):
        raise Timeout(f"the {kind} API did not answer in time (the booking went through anyway)")
    return f"{kind}_{trip}"


def cancel(kind: str, trip: str) -> None:
    ledger.record(f"{kind}.cancelled", trip=trip)


def offer(order: str, outcome: str) -> None:
    ledger.record(f"offer.{outcome}", order=order)


def fraud_check(account: str, amount: int) -> None:
    """A big amount gets the full check (0.4 s), a small one the quick one. Nothing to record: it only takes time."""
    time.sleep(0.4 if abs(amount) >= 500 else 0.02)


def account_event(account: str, event: int) -> None:
    ledger.record("account.applied", account=account, event=event)


def _maybe_die_before_answering(point: str, key: str) -> None:
    # The process dies after the provider acted and before the caller heard back: the answer is
    # lost, exactly what a crash of the server or the service in the middle of a call does.
    if should_fail(point, key):
        print("--- the service crashed before the provider's answer arrived ---", flush=True)
        os._exit(1)
