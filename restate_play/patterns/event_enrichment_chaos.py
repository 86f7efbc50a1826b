"""Chaos for Event Enrichment: packages registered over HTTP, their location updates published to
Kafka (keyed by package id) and some read back, while the service and restate-server are killed
(the broker stays up). Every location is stored once, in its package, in topic order; every
registration is kept; every read sees a prefix of what ends up stored."""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

from restate_play.world.chaos_api import (
    ChaosOutcome,
    ChaosRequest,
    Evidence,
    PatternChaos,
    Verdict,
    and_join,
    order_violations,
)

chaos = PatternChaos("event-enrichment")
SERVICE, INFO, TOPIC = "package-tracker", "package-info", "package-location-updates"


@chaos.traffic
def tracking(rng: random.Random, n: int, *, keys: int, idempotent: bool) -> ChaosRequest:
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
            n=n,
            target=f"{SERVICE}/{package}/registerPackage",
            body={"finalDestination": destination},
            idempotency_key=f"register-{package}" if idempotent else None,
            key=package,
            meta={"destination": destination},
        )
    j = rng.randrange(keys)
    package, registration = f"pkg{round_}-{j}", round_ * size + j
    if rng.random() < 0.15:
        target = f"{SERVICE}/{package}/getPackageInfo"
        return ChaosRequest(n=n, target=target, key=package, meta={"read": True}, after=registration)
    stop = f"Stop {n}"
    value = json.dumps({"timestamp": f"2024-10-10 +{n}min", "location": stop})
    return ChaosRequest(
        n=n, target=f"{package}:{value}", key=package, meta={"location": stop}, topic=TOPIC, after=registration
    )


def _locations(info: Any) -> list[Any]:
    """The location names in a package's state (or in a getPackageInfo answer), in stored order."""
    if not isinstance(info, dict):
        return []
    return [loc.get("location") if isinstance(loc, dict) else loc for loc in info.get("locations", [])]


def _stored_once(ev: Evidence) -> tuple[dict[str, ChaosOutcome], list[str]]:
    """The published locations, and a sentence per location stored twice, nowhere or elsewhere."""
    published, packages = ev.published_by("location"), ev.state_of(SERVICE, INFO)
    stored = Counter((package, stop) for package, info in packages.items() for stop in _locations(info))
    anomalies = [
        f"'{stop}' ({published.get(stop) or 'not published by this run'}) is stored {n} times in package "
        f"{package} ({SERVICE}/{package} '{INFO}')"
        for (package, stop), n in sorted(stored.items())
        if n > 1
    ]
    where = {stop: package for package, stop in stored}
    for stop, o in sorted(published.items(), key=lambda item: item[1].request.n):
        if stop not in where:
            anomalies.append(f"'{stop}' ({o}, for {o.request.key}) is stored in no package")
        elif where[stop] != o.request.key:
            anomalies.append(f"'{stop}' ({o}) was published for {o.request.key} but is stored in {where[stop]}")
    return published, anomalies


@chaos.invariant(
    "each-location-once",
    "every published location stored exactly once in its package, by one successful invocation",
)
def each_location_once(ev: Evidence) -> Verdict:
    # One successful updateLocation invocation per record: a record redelivered after a crash would
    # be a second invocation even if its location happened to be stored once.
    published, anomalies = _stored_once(ev)
    runs = ev.invocations_of(SERVICE, "updateLocation")
    failed = [i.id for i in runs if i.completion_result != "success"]
    if len(runs) != len(published) or failed:
        anomalies.append(
            f"Restate ran {len(runs)} {SERVICE}/updateLocation invocations for {len(published)} published records, "
            f"{len(runs) - len(failed)} succeeded; failed: {and_join(failed[:5]) or 'none'}"
        )
    counts = f"{len(published)} records, {len(runs)} invocations ({len(runs) - len(failed)} succeeded)"
    return Verdict(
        counts if anomalies else f"{len(published)} records → {len(runs)} invocations, each stored once", anomalies
    )


@chaos.invariant("per-key-order", "per package, locations stored in topic order")
def locations_in_order(ev: Evidence) -> Verdict:
    offsets = {stop: o.offset for stop, o in ev.published_by("location").items()}
    packages = ev.state_of(SERVICE, INFO)
    observed = {
        package: [(offsets.get(stop, -1), f"'{stop}' (offset {offsets.get(stop, -1)})") for stop in _locations(info)]
        for package, info in packages.items()
    }
    anomalies = order_violations(observed, f"package {{0}} ({SERVICE}/{{0}} '{INFO}') stores")
    return Verdict.tally(anomalies, len(packages), "packages out of order", "packages in order")


@chaos.invariant("registration-survives", "every registration answered and kept, beside the locations joined into it")
def registration_survives(ev: Evidence) -> Verdict:
    sent = [o for o in ev.outcomes if "destination" in o.request.meta]
    packages = ev.state_of(SERVICE, INFO)
    anomalies = []
    for o in sorted(sent, key=lambda o: o.request.n):
        stored = (packages.get(o.request.key) or {}).get("finalDestination")
        if o.status != 200 or stored != o.request.meta["destination"]:
            anomalies.append(
                f"package {o.request.key} was registered for '{o.request.meta['destination']}' by {o}, "
                f"but its state ({SERVICE}/{o.request.key} '{INFO}') holds destination {json.dumps(stored)}"
            )
    return Verdict.tally(anomalies, len(sent), "registrations lost", "packages")


@chaos.invariant("reads-see-prefix", "every read during the chaos saw a prefix of the package's final locations")
def reads_see_prefix(ev: Evidence) -> Verdict:
    # A read during the chaos sees committed state only: what it saw is never rolled back or reordered.
    packages = ev.state_of(SERVICE, INFO)
    reads = [o for o in ev.outcomes if o.request.meta.get("read")]
    anomalies = []
    for o in sorted(reads, key=lambda o: o.request.n):
        seen, final = _locations(o.body), _locations(packages.get(o.request.key))
        if o.status != 200 or not isinstance(o.body, dict) or seen != final[: len(seen)]:
            anomalies.append(
                f"{o} saw {o.request.key}'s locations as {seen}, but its final state holds {final[: len(seen) + 2]}"
                f"{' …' if len(final) > len(seen) + 2 else ''}: not a prefix"
            )
    return Verdict.tally(anomalies, len(reads), "reads not a prefix", "reads")
