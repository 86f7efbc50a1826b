"""Simulated failures of the outside world, configured per run and remembered across crashes.

RESTATE_PLAY_FAULTS is a JSON object mapping a fault point to either
  an int N     → the first N attempts at that point fail, then it works (deterministic demos), or
  a float p<1  → each attempt fails with probability p (like the source documents' random failures).
A point can be narrowed to one key ("car.book:67890"); the narrow rule wins over the plain one.
Attempts are counted in the ledger itself, so "fail once" still holds after the process was killed.

RESTATE_PLAY_LATENCY maps a point to seconds of latency the emulated API adds before answering
(real APIs are not instant, and a slow step gives a crash demo a window to strike in).
"""

from __future__ import annotations

import json
import os
import random
import time

from restate_play.world import ledger

ENV_VAR = "RESTATE_PLAY_FAULTS"
LATENCY_ENV_VAR = "RESTATE_PLAY_LATENCY"


def _config(var: str = ENV_VAR) -> dict[str, float]:
    raw = os.environ.get(var)
    if not raw:
        return {}
    try:
        cfg = json.loads(raw)
    except json.JSONDecodeError:
        return {}
    return cfg if isinstance(cfg, dict) else {}


def _rule(config: dict[str, float], point: str, key: str | None, default: float) -> tuple[str, float]:
    if key is not None and f"{point}:{key}" in config:
        return f"{point}:{key}", config[f"{point}:{key}"]
    return point, config.get(point, default)


def should_fail(point: str, key: str | None = None, default: float = 0.0) -> bool:
    """Decide whether this attempt at `point` (for `key`) fails, and record the decision in the ledger."""
    point, rule = _rule(_config(), point, key, default)
    if isinstance(rule, bool) or not isinstance(rule, int | float) or rule <= 0:
        return False
    if isinstance(rule, int):
        failed_so_far = ledger.count("fault.injected", point=point)
        fail = failed_so_far < rule
    else:
        fail = random.random() < rule
    if fail:
        ledger.record("fault.injected", point=point)
    return fail


def latency(point: str, key: str | None = None) -> None:
    """Sleep for the configured latency of this point (the caller runs in a worker thread)."""
    _, seconds = _rule(_config(LATENCY_ENV_VAR), point, key, 0.0)
    if isinstance(seconds, int | float) and seconds > 0:
        time.sleep(seconds)
