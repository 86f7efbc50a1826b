"""Chaos for Durable RPC: reservations of a few products, the same reservation ids sent again and
again, while the service and the server are killed. With idempotency keys a repeat attaches to the
first invocation, so each product has one winner and every repeat hears the first answer."""

from __future__ import annotations

import json
import random
from collections import defaultdict

from restate_play.world.chaos_api import ChaosOutcome, ChaosRequest, Evidence, PatternChaos, Verdict, and_join

chaos = PatternChaos("durable-rpc")


@chaos.traffic
def reservation(rng: random.Random, n: int, *, keys: int, idempotent: bool) -> ChaosRequest:
    product = f"p{rng.randrange(keys)}"
    reservation_id = f"{product}-r{rng.randrange(4)}"  # few reservation ids per product: repeats happen
    return ChaosRequest(
        n=n,
        target=f"product/{product}/reserve",
        idempotency_key=reservation_id if idempotent else None,
        key=product,
        meta={"reservation": reservation_id},
    )


def _answers(ev: Evidence) -> dict[tuple[str, str], list[ChaosOutcome]]:
    """(product, reservation) → its answered requests, in traffic order."""
    answers: dict[tuple[str, str], list[ChaosOutcome]] = defaultdict(list)
    for o in sorted(ev.outcomes, key=lambda o: o.request.n):
        if o.status == 200:
            answers[(o.request.key, o.request.meta["reservation"])].append(o)
    return answers


@chaos.invariant("one-winner-per-product", "per product, exactly one reservation wins")
def one_winner(ev: Evidence) -> Verdict:
    winners: dict[str, dict[str, ChaosOutcome]] = defaultdict(dict)
    for (product, reservation_id), answered in _answers(ev).items():
        won = [o for o in answered if o.body is True]
        if won:
            winners[product][reservation_id] = won[0]
    anomalies = [
        f"product {product} was won by {len(won)} reservations: "
        + and_join(f"{r} ({won[r]})" for r in sorted(won))
        + " all got true, but a product can be reserved only once"
        for product, won in sorted(winners.items())
        if len(won) > 1
    ]
    return Verdict.tally(anomalies, len(winners), "products with several winners", "products, one winner each")


@chaos.invariant(
    "winner-repeats-get-true", "every repeat of a reservation gets the same answer (the winner always true)"
)
def same_answer(ev: Evidence) -> Verdict:
    answers = _answers(ev)
    anomalies = []
    for (product, reservation_id), answered in sorted(answers.items()):
        first, other = answered[0], next((o for o in answered if o.body != answered[0].body), None)
        if other is None:
            continue
        why = "" if other.request.idempotency_key else "; without an idempotency key each request is a new invocation"
        anomalies.append(
            f"reservation {reservation_id} of product {product} got {json.dumps(first.body)} for {first}, "
            f"but {json.dumps(other.body)} for {other}: a repeat must hear the first answer again{why}"
        )
    return Verdict.tally(anomalies, len(answers), "reservations got mixed answers", "reservations consistent")
