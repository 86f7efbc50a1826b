"""A slow, CPU-heavy computation (the Priority Queue example's protected operation).

Each run is recorded as `compute.start` and `compute.done` with the item's priority, so a run can
see from outside how many ran at once and in which order they were let through.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from restate_play.world import ledger
from restate_play.world.timing import scaled

DURATION = timedelta(seconds=5)  # the document's example works for 5 s per item


async def expensive_operation(left: int, right: int, priority: int) -> int:
    # Async on purpose: a blocking sleep would run in the SDK's small thread pool, which would then
    # cap the concurrency on its own and hide what the queue does.
    ledger.record("compute.start", left=left, right=right, priority=priority)
    await asyncio.sleep(scaled(DURATION).total_seconds())
    ledger.record("compute.done", left=left, right=right, priority=priority)
    return left + right
