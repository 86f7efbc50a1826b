"""Chaos for Batching: numbered items sent to a few batcher keys while the service and the server
are killed. Every item reaches the destination once, in one batch of at most ten."""

from __future__ import annotations

import random
from collections import defaultdict

from restate_play.world.chaos_api import ChaosRequest, Evidence, PatternChaos, Verdict, and_join, ledger_lines
from restate_play.world.ledger import LedgerEntry

chaos = PatternChaos("batching")
MAX_BATCH = 10


@chaos.traffic
def item(rng: random.Random, n: int, *, keys: int, idempotent: bool) -> ChaosRequest:
    key = f"k{rng.randrange(keys)}"
    return ChaosRequest(
        n=n,
        target=f"batcher/{key}/receive",
        body=n,
        idempotency_key=f"item-{n}" if idempotent else None,
        key=key,
        meta={"item": n},
    )


def _deliveries(ev: Evidence) -> dict[tuple[str | None, tuple[object, ...]], list[LedgerEntry]]:
    """One delivery per (receiver invocation, items): the same run recorded twice after a crash (the
    world's bookkeeping is at-least-once) is one delivery; another invocation with an item is not."""
    deliveries: dict[tuple[str | None, tuple[object, ...]], list[LedgerEntry]] = defaultdict(list)
    for e in ev.ledger:
        if e.action == "batch.received":
            deliveries[(e.invocation, tuple(e.args["items"]))].append(e)
    return deliveries


@chaos.invariant("every-item-once", "every item delivered exactly once, in one batch")
def every_item_once(ev: Evidence) -> Verdict:
    deliveries = _deliveries(ev)
    batches_of: dict[object, list[LedgerEntry]] = defaultdict(list)  # item → the first line of each delivery
    for (_, items), lines in deliveries.items():
        for i in items:
            batches_of[i].append(lines[0])
    sent = {o.request.meta["item"]: o for o in ev.outcomes if o.status == 200}
    doubled = sorted(i for i, lines in batches_of.items() if len(lines) > 1)
    missing = sorted(set(sent) - set(batches_of))
    anomalies = [
        f"item {i} ({sent.get(i, 'not sent by this run')}) was delivered in {len(batches_of[i])} "
        f"batches ({ledger_lines(batches_of[i])}, by invocations {and_join(e.invocation for e in batches_of[i])})"
        for i in doubled
    ] + [f"item {i} ({sent[i]}) is in no batch.received line of the ledger" for i in missing]
    summary = f"doubled {doubled[:10]}, missing {missing[:10]}" if anomalies else None
    return Verdict(summary or f"{len(batches_of)} items in {len(deliveries)} batches", anomalies)


@chaos.invariant("batches-at-most-ten", "no batch larger than 10")
def at_most_ten(ev: Evidence) -> Verdict:
    batches = [e for e in ev.ledger if e.action == "batch.received"]
    big = [e for e in batches if e.args["size"] > MAX_BATCH]
    anomalies = [
        f"the batch on {ledger_lines([e])} (key {e.args.get('key')}, invocation {e.invocation}) holds "
        f"{e.args['size']} items, more than {MAX_BATCH}: {e.args.get('items')}"
        for e in big
    ]
    return Verdict(
        f"sizes over {MAX_BATCH}: {[e.args['size'] for e in big]}" if big else f"{len(batches)} batches", anomalies
    )
