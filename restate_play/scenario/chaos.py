"""Chaos runs: a pattern's traffic at scale, seeded SIGKILLs of the service and the server, then the
pattern's invariants checked on responses, ledger, state and invocations.

A pattern opts in with two files beside each other:

- `patterns/<slug>_chaos.py`: its traffic generator and invariants (a `PatternChaos` named
  `chaos`, see `world/chaos_api.py`);
- `scenarios/<slug>.chaos.toml`: the data of a run:

      title = "…"
      keys = 12                      # how many objects / customers the traffic spreads over
      invariants = ["one-winner-per-product", "winner-repeats-get-true"]
      settle = 2.0                   # seconds for short timers to fire before the checks

This module plans a run (the same seed gives the same traffic and kill points) and turns the
invariants' verdicts into checks; `chaos_driver` plays it against a sandbox.
"""

from __future__ import annotations

import importlib
import importlib.util
import random
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from restate_play.errors import PlayError
from restate_play.scenario.result import Check
from restate_play.world.chaos_api import ChaosOutcome, ChaosRequest, Evidence, PatternChaos, Verdict
from restate_play.world.ledger import LedgerEntry

EXPLAINED = 20  # anomaly sentences kept per invariant in the report (the count says how many in all)


def chaos_module(slug: str) -> str:
    return f"restate_play.patterns.{slug.replace('-', '_')}_chaos"


def pattern_chaos(slug: str) -> PatternChaos | None:
    """The pattern's chaos traffic and invariants, or None when it has none."""
    name = chaos_module(slug)
    if importlib.util.find_spec(name) is None:
        return None
    chaos = getattr(importlib.import_module(name), "chaos", None)
    return chaos if isinstance(chaos, PatternChaos) else None


@dataclass
class ChaosSpec:
    path: Path
    title: str
    keys: int
    invariants: list[str]
    settle: float = 0.0  # seconds to let short timers fire before the invariants are checked


def load_spec(path: Path) -> ChaosSpec:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise PlayError(f"No chaos traffic for this pattern ({path.name} is missing).") from err
    except tomllib.TOMLDecodeError as err:
        raise PlayError(f"{path.name}: not valid TOML: {err}") from err
    slug = path.name.removesuffix(".chaos.toml")
    invariants = data.get("invariants")
    if not isinstance(invariants, list) or not invariants:
        raise PlayError(f"{path.name}: field 'invariants': expected a non-empty list of invariant names.")
    chaos = pattern_chaos(slug)
    known = chaos.invariants if chaos else {}
    unknown = [i for i in invariants if i not in known]
    if unknown:
        where = f"Known: {', '.join(sorted(known))}" if known else f"{chaos_module(slug)} defines none."
        raise PlayError(f"{path.name}: unknown invariant(s) {', '.join(map(str, unknown))}.", where)
    keys = data.get("keys", 8)
    if not isinstance(keys, int) or keys < 1:
        raise PlayError(f"{path.name}: field 'keys': expected a positive integer, got {keys!r}.")
    settle = data.get("settle", 0.0)
    if not isinstance(settle, int | float) or settle < 0:
        raise PlayError(f"{path.name}: field 'settle': expected seconds (a number ≥ 0), got {settle!r}.")
    return ChaosSpec(path, str(data.get("title", slug)), keys, list(invariants), float(settle))


# -- the plan --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KillPoint:
    index: int  # the kill starts when request #index takes its slot: while others are in flight
    target: str  # "service" | "server"
    downtime: float  # seconds the part stays down before it is restarted


@dataclass(frozen=True)
class ChaosPlan:
    requests: list[ChaosRequest]
    kills: list[KillPoint]  # in the order they happen

    @classmethod
    def make(
        cls,
        chaos: PatternChaos,
        *,
        keys: int,
        requests: int,
        kills: int,
        seed: int,
        targets: tuple[str, ...],
        idempotent: bool,
    ) -> ChaosPlan:
        """Same seed, same traffic and kill points: a seed replays the same story."""
        rng = random.Random(seed)
        traffic = [chaos.request(rng, n, keys=keys, idempotent=idempotent) for n in range(requests)]
        return cls(traffic, plan_kills(rng, random.Random(seed + 1), requests, kills, targets))


def plan_kills(
    rng: random.Random, downtime: random.Random, requests: int, kills: int, targets: tuple[str, ...]
) -> list[KillPoint]:
    """Kill j near the (j+1)-th of kills+1 equal spans of the traffic, jittered by ±30 % of a span.
    A point past the last request is kept: the run reports it as a kill that never came."""
    span = requests / (kills + 1)
    chosen: dict[int, str] = {}
    for j in range(kills):
        index = int(span * (j + 1) + rng.uniform(-0.3, 0.3) * span)
        while index in chosen:
            index += 1
        chosen[index] = rng.choice(targets)
    return [KillPoint(i, chosen[i], downtime.uniform(0.2, 0.8)) for i in sorted(chosen)]


# -- verdicts --------------------------------------------------------------------------------------


@dataclass
class InvariantResult:
    check: Check
    anomalies: list[str] = field(default_factory=list)  # sentences a person can check by hand

    def to_dict(self) -> dict[str, Any]:
        return {**self.check.to_dict(), "anomalies": len(self.anomalies), "explanation": self.anomalies[:EXPLAINED]}


def judged(description: str, verdict: Verdict) -> InvariantResult:
    return InvariantResult(Check(0, description, verdict.passed, verdict.summary), verdict.anomalies)


def check_invariants(chaos: PatternChaos, spec: ChaosSpec, evidence: Evidence) -> list[InvariantResult]:
    results = []
    for name in spec.invariants:
        invariant = chaos.invariants[name]
        results.append(judged(f"[{name}] {invariant.description}", invariant.check(evidence)))
    unanswered = [o for o in evidence.outcomes if o.status is None]
    results.append(judged("every request got an answer", answers_verdict(unanswered)))
    return results


def answers_verdict(unanswered: list[ChaosOutcome]) -> Verdict:
    return Verdict(f"{len(unanswered)} without answer", [f"{o}: the client gave up" for o in unanswered])


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
