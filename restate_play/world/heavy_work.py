"""The work behind the (Delayed) Message Queue's tasks: whatever a queue consumer really does."""

from __future__ import annotations

from restate_play.world import ledger
from restate_play.world.faults import latency


def some_heavy_work(task_id: str, task: str) -> str:
    latency("task.run", task_id)
    ledger.record("task.run", id=task_id, task=task)
    print(f"Running task {task_id}: {task}", flush=True)
    return "Work!"
