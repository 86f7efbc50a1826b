"""(Delayed) Message Queue: Restate as a task queue.

Every Restate handler can be invoked as a queued, asynchronous task: a one-way send puts the
task in Restate's queue and answers at once with the invocation id. The task submitter (here the
scenario, or the curl lines) uses the task id as idempotency key, so a resubmitted task is
deduplicated instead of run twice; a `?delay=` makes Restate hold the task on a durable timer
first (a delayed task queue). The result can be fetched later by attaching to the invocation.
"""

from __future__ import annotations

from typing import TypedDict

import restate
from restate import Context

from restate_play.world.heavy_work import some_heavy_work


class TaskOpts(TypedDict):
    id: str
    task: str


async_task_worker = restate.Service("asyncTaskWorker")


@async_task_worker.handler("runTask")
async def run_task(ctx: Context, params: TaskOpts) -> str:
    # Nothing queue-specific here: Restate does the queueing, retries and deduplication.
    return await ctx.run_typed("Heavy work", some_heavy_work, task_id=params["id"], task=params["task"])


services = [async_task_worker]
