"""Chaos on any service: the scenario's own requests as traffic, and the promises every service keeps.

A pattern brings its traffic and invariants (`patterns/<slug>_chaos.py`). A user's code brings a
scenario: its call, send and parallel requests through the ingress are played in turn, request N
taking `{i}` = N in its target, idempotency key and `body_json` (as a storm does), under seeded
SIGKILLs. The invariants hold for any correct service, whatever it does:

- every request answered (added to every chaos run) with the status its step expects;
- one invocation per idempotency key: a retried request attached to its first invocation;
- nothing left running, backing off or paused afterwards (the driver's idle check).

The scenario's other expectations (journals, state, ledger of its labelled calls) are about one
invocation each, so they are not applied to the traffic: `run` checks them.
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from restate_play.errors import PlayError
from restate_play.scenario.chaos import ChaosSpec
from restate_play.scenario.model import Scenario
from restate_play.world.chaos_api import ChaosRequest, Evidence, PatternChaos, Verdict

SETTLE = 1.0  # seconds for short timers of the user's code to fire before the checks
_VARIABLE = re.compile(r"\{(?!i\})[^}]*\}")  # {name} captured from an earlier answer: not replayable


@dataclass(frozen=True)
class Template:
    step: int  # the scenario's step number, for messages
    target: str  # with "/send" for a send
    body: Any  # a TOML value
    raw: str | None  # body_json: JSON text, {i} filled per request
    idempotency_key: str | None
    status: int | None  # what its step expects, if it says


def templates(scenario: Scenario) -> list[Template]:
    """The requests the traffic repeats, in the scenario's order; a clear error when there are none."""
    found = []
    for n, step in enumerate(scenario.steps, 1):
        for req in step.requests if step.action in ("call", "send", "parallel") else []:
            if req.via != "ingress" or _VARIABLE.search(req.target):
                continue  # the client app's paths, or targets filled from earlier answers
            found.append(_template(scenario, n, req))
    if not found:
        raise PlayError(
            f"{scenario.path}: chaos plays the scenario's call and send steps as traffic, and it has none.",
            'Add a step like `call = "MyService/myHandler"` with its body; `{i}` in its target spreads keys.',
        )
    return found


def _template(scenario: Scenario, n: int, req: Any) -> Template:
    if req.raw_body is not None:
        try:
            json.loads(req.raw_body.replace("{i}", "1"))
        except json.JSONDecodeError:
            raise PlayError(
                f"{scenario.path}: step {n}: chaos sends JSON bodies, and its body_json is not JSON.",
                "Give it a `body` (a TOML value) instead, or leave this step out of the chaos scenario.",
            ) from None
    target = req.target.rstrip("/") + ("/send" if req.kind == "send" else "")
    status = req.expect.status if req.expect is not None else None
    return Template(n, target, req.body, req.raw_body, req.idempotency_key, status)


def _filled(template: Template, i: int) -> tuple[str, Any]:
    target = template.target.replace("{i}", str(i))
    body = json.loads(template.raw.replace("{i}", str(i))) if template.raw is not None else template.body
    return target, body


def user_chaos(scenario: Scenario) -> PatternChaos:
    """The traffic and invariants of a chaos run on the user's code."""
    made = templates(scenario)
    chaos = PatternChaos("your code")

    @chaos.traffic
    def request(rng: random.Random, n: int, *, keys: int, idempotent: bool) -> ChaosRequest:
        t = made[n % len(made)]
        target, body = _filled(t, n + 1)
        key = t.idempotency_key.replace("{i}", str(n + 1)) if t.idempotency_key else None
        key = key or (f"chaos-{n}" if idempotent else None)
        return ChaosRequest(n=n, target=target, body=body, idempotency_key=key, key=target, meta={"step": t.step})

    @chaos.invariant("answered-as-expected", "each answer has the status its step expects")
    def answered_as_expected(ev: Evidence) -> Verdict:
        by_step = {t.step: t.status for t in made}
        wrong = [
            f"{o}: its step {o.request.meta['step']} expects {by_step[o.request.meta['step']]}"
            for o in ev.outcomes
            if o.status is not None and by_step[o.request.meta["step"]] not in (None, o.status)
        ]
        return Verdict.tally(wrong, len(ev.outcomes), "answers with another status", "answers as expected")

    @chaos.invariant("one-invocation-per-idempotency-key", "requests with one idempotency key share one invocation")
    def one_per_key(ev: Evidence) -> Verdict:
        invocations: dict[str, set[str]] = defaultdict(set)
        for o in ev.outcomes:
            if o.request.idempotency_key and o.invocation:
                invocations[o.request.idempotency_key].add(o.invocation)
        split = [
            f"idempotency key {k!r}: {len(ids)} invocations ({', '.join(sorted(ids))})"
            for k, ids in invocations.items()
            if len(ids) > 1
        ]
        return Verdict.tally(split, len(invocations), "keys with more than one invocation", "keys, one invocation each")

    return chaos


def user_spec(scenario: Scenario) -> ChaosSpec:
    return ChaosSpec(
        scenario.path,
        f"{scenario.title} under chaos",
        1,
        ["answered-as-expected", "one-invocation-per-idempotency-key"],
        SETTLE,
    )
