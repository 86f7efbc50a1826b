"""Chaos for Stateful Actors: random set-ups and tear-downs of a few machines while the service
and the server are killed. A virtual object runs one handler per machine at a time, so transitions
never interleave, and the stored state is where the last finished transition went."""

from __future__ import annotations

import random
from collections import defaultdict

from restate_play.world.chaos_api import ChaosRequest, Evidence, PatternChaos, Verdict, ledger_lines
from restate_play.world.ledger import LedgerEntry

chaos = PatternChaos("stateful-actors")
BEGIN, DONE = "machine.begin", "machine.done"


@chaos.traffic
def operation(rng: random.Random, n: int, *, keys: int, idempotent: bool) -> ChaosRequest:
    machine = f"m{rng.randrange(keys)}"
    handler = rng.choice(["setUp", "tearDown"])
    return ChaosRequest(
        n=n,
        target=f"machineOperator/{machine}/{handler}",
        idempotency_key=f"op-{n}" if idempotent else None,
        key=machine,
        meta={"handler": handler},
    )


def _steps(ev: Evidence) -> dict[str, list[LedgerEntry]]:
    """Per machine, its begin/done lines; a line repeating the one before (a step re-run after a
    crash before its result was journaled: at-least-once) is left out."""
    per_machine: dict[str, list[LedgerEntry]] = defaultdict(list)
    for e in ev.ledger:
        if e.action in (BEGIN, DONE):
            steps = per_machine[e.args["machine"]]
            if not (steps and (steps[-1].action, steps[-1].args["to"]) == (e.action, e.args["to"])):
                steps.append(e)
    return per_machine


def _interleaving(machine: str, steps: list[LedgerEntry]) -> str | None:
    """The first step out of begin/done order, as a sentence, or None."""
    open_: LedgerEntry | None = None  # the transition begun and not done yet
    for e in steps:
        to, line = e.args["to"], ledger_lines([e])
        if e.action == BEGIN and open_ is not None:
            return (
                f"machine {machine} began a transition to {to} on {line} (invocation {e.invocation}) while its "
                f"transition to {open_.args['to']} from {ledger_lines([open_])} (invocation {open_.invocation}) "
                "was not done yet"
            )
        if e.action == DONE and open_ is None:
            return f"machine {machine} finished a transition to {to} on {line} that no earlier line began"
        if e.action == DONE and open_ is not None and open_.args["to"] != to:
            return (
                f"machine {machine} finished a transition to {to} on {line}, but the one open, "
                f"from {ledger_lines([open_])}, went to {open_.args['to']}"
            )
        open_ = e if e.action == BEGIN else None
    return None


@chaos.invariant("transitions-in-order", "per machine, transitions never interleave (begin/done pairs in order)")
def transitions_in_order(ev: Evidence) -> Verdict:
    per_machine = _steps(ev)
    anomalies = [s for m, steps in sorted(per_machine.items()) if (s := _interleaving(m, steps))]
    return Verdict.tally(anomalies, len(per_machine), "machines interleaved", "machines")


@chaos.invariant("state-matches-last-transition", "each machine's state is the target of its last completed transition")
def state_matches(ev: Evidence) -> Verdict:
    last = {m: done[-1] for m, steps in _steps(ev).items() if (done := [e for e in steps if e.action == DONE])}
    state = ev.state_of("machineOperator", "state")
    anomalies = [
        f"machine {m}'s state is {state.get(m, 'missing')} (machineOperator/{m} 'state'), but its last "
        f"completed transition, on {ledger_lines([e])} (invocation {e.invocation}), went to {e.args['to']}"
        for m, e in sorted(last.items())
        if state.get(m) != e.args["to"]
    ]
    return Verdict.tally(anomalies, len(last), "machines in the wrong state", "machines")
