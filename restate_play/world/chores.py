"""The subtasks of the Parallelizing Work example: real work that takes a while, done outside Restate.

Chores the Java document's log shows take about as long as they did there (scaled with the time
knob); any other subtask takes a random 0–4 s, like the TypeScript example. Start and end go to the
ledger, so a run can see whether the subtasks ran side by side.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta

from restate_play.world import ledger
from restate_play.world.faults import latency
from restate_play.world.timing import scaled

TYPICAL_SECONDS = {"get out of bed": 3, "shower": 9, "make coffee": 0, "have breakfast": 3}


def execute_subtask(description: str) -> str:
    ledger.record("subtask.started", subtask=description)
    print(f"Started executing subtask: {description}", flush=True)
    seconds = TYPICAL_SECONDS.get(description, random.randint(0, 4))
    time.sleep(scaled(timedelta(seconds=seconds)).total_seconds())
    latency("subtask", description)  # a scenario may make one take longer
    ledger.record("subtask.finished", subtask=description)
    print(f"Execution subtask finished: {description}", flush=True)
    return f"{description}: DONE"
