"""(Delayed) Message Queue: Restate as a task queue.

Every Restate handler can be invoked as a queued, asynchronous task: a one-way send puts the
task in Restate's queue and answers at once with the invocation id. The task submitter (here the
scenario, or the curl lines) uses the task id as idempotency key, so a resubmitted task is
deduplicated instead of run twice; a `?delay=` makes Restate hold the task on a durable timer
first (a delayed task queue). The result can be fetched later by attaching to the invocation.
"""

from __future__ import annotations

import restate
from restate import Context

from restate_play.patterns.bodies import Body, JsonBody, bad_request_is_400
from restate_play.world.heavy_work import some_heavy_work


class TaskOpts(Body):
    id: str
    task: str


# A request of the wrong shape fails at once with a 400 naming the field, instead of being retried.
async_task_worker = restate.Service("asyncTaskWorker", invocation_context_managers=[bad_request_is_400])


@async_task_worker.handler("runTask", input_serde=JsonBody(TaskOpts))
async def run_task(ctx: Context, params: TaskOpts) -> str:
    # Nothing queue-specific here: Restate does the queueing, retries and deduplication.
    return await ctx.run_typed("Heavy work", some_heavy_work, task_id=params.id, task=params.task)


services = [async_task_worker]
