"""Emulated factory machines (the Stateful Actors example): slow transitions that sometimes crash."""

from __future__ import annotations

import os

from restate_play.world import ledger
from restate_play.world.faults import should_fail


def begin_transition(machine_id: str, target: str) -> None:
    ledger.record("machine.begin", machine=machine_id, to=target)
    print(f"Beginning transition of {machine_id} to {target}", flush=True)


def maybe_crash(machine_id: str, target: str) -> None:
    """Like the source document's maybeCrash: sometimes the whole process dies mid-transition."""
    if should_fail(f"machine.crash.{target}", key=machine_id, default=_default_crash_probability()):
        print("A failure happened!\n--- CRASHING THE PROCESS ---", flush=True)
        os._exit(1)


def done_transition(machine_id: str, target: str) -> None:
    ledger.record("machine.done", machine=machine_id, to=target)
    print(f"Done transitioning {machine_id} to {target}", flush=True)


def _default_crash_probability() -> float:
    # `serve` mimics the document (crashes now and then); scenarios decide crashes explicitly.
    try:
        return float(os.environ.get("RESTATE_PLAY_MACHINE_CRASH_PROBABILITY", "0"))
    except ValueError:
        return 0.0
