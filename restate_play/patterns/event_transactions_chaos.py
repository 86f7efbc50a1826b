"""Chaos for Transactional Event Processing: posts of a few users published to Kafka while the
service and restate-server are killed (the broker stays up). Each record is processed by exactly
one invocation, and each user's posts reach the feed in topic order."""

from __future__ import annotations

import random
from collections import defaultdict

from restate_play.world.chaos_api import (
    ChaosRequest,
    Evidence,
    PatternChaos,
    Verdict,
    and_join,
    invocation_ids,
    ledger_lines,
    order_violations,
)
from restate_play.world.ledger import LedgerEntry

chaos = PatternChaos("event-transactions")
TOPIC = "social-media-posts"


@chaos.traffic
def post(rng: random.Random, n: int, *, keys: int, idempotent: bool) -> ChaosRequest:
    user = f"user{rng.randrange(keys)}"
    line = f'{user}:{{"content": "post {n}", "metadata": "public"}}'
    return ChaosRequest(n=n, target=line, key=user, meta={"content": f"post {n}"}, topic=TOPIC)


def _feed_lines(ev: Evidence) -> dict[str, list[LedgerEntry]]:
    """Post content → its feed.updated lines, in ledger order (the order the feed was updated in)."""
    feeds: dict[str, list[LedgerEntry]] = defaultdict(list)
    for e in ev.ledger:
        if e.action == "feed.updated":
            feeds[e.args.get("content")].append(e)
    return feeds


def _named(e: LedgerEntry, offsets: dict[str, int]) -> str:
    return f"'{e.args['content']}' (offset {offsets.get(e.args['content'], -1)}, {ledger_lines([e])})"


@chaos.invariant("per-key-order", "per user, posts reach the feed in topic order")
def per_key_order(ev: Evidence) -> Verdict:
    offsets = {content: o.offset for content, o in ev.published_by("content").items()}
    firsts: dict[str, list[LedgerEntry]] = defaultdict(list)  # per user, each post's first feed line
    for lines in _feed_lines(ev).values():
        firsts[lines[0].args["user"]].append(lines[0])
    observed = {
        user: [(offsets.get(e.args["content"], -1), _named(e, offsets)) for e in sorted(lines, key=lambda e: e.seq)]
        for user, lines in firsts.items()
    }
    anomalies = order_violations(observed, "{}'s feed got")
    return Verdict.tally(anomalies, len(firsts), "users out of order", "users in order")


@chaos.invariant("each-record-once", "each record processed by exactly one invocation, and every record processed")
def each_record_once(ev: Evidence) -> Verdict:
    published, feeds = ev.published_by("content"), _feed_lines(ev)
    invocations = ev.invocations_of("userFeed", "processPost")
    twice = {c: lines for c, lines in sorted(feeds.items()) if len({e.invocation for e in lines}) > 1}
    missing = sorted(set(published) - set(feeds))
    anomalies = [
        f"'{content}' ({published.get(content) or 'not published by this run'}) reached the feed from "
        f"{invocation_ids(e.invocation for e in lines)} ({ledger_lines(lines)}), one record twice"
        for content, lines in twice.items()
    ]
    anomalies += [f"'{c}' ({published[c]}, offset {published[c].offset}) is in no feed.updated line" for c in missing]
    if len(invocations) != len(published):
        in_ledger = {e.invocation for lines in feeds.values() for e in lines}
        strays = [i.id for i in invocations if i.id not in in_ledger]
        anomalies.append(
            f"Restate ran {len(invocations)} userFeed/processPost invocations for {len(published)} published "
            f"records; not in the ledger: {and_join(strays[:5]) or 'none'}"
        )
    return Verdict(
        f"{len(published)} records, {len(invocations)} invocations; twice {list(twice)[:5]}, missing {missing[:5]}",
        anomalies,
    )
