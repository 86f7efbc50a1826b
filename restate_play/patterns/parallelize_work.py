"""Parallelizing Work: split a task, run the subtasks in parallel (fan-out), gather the results (fan-in).

Each subtask is its own invocation of `runSubtask`, so Restate runs them side by side (on as many
service instances as there are) and retries each one on its own. The fan-out and the fan-in are
journaled: after a crash, `run` neither starts the subtasks again nor loses their results.
"""

from __future__ import annotations

import restate
from restate import Context

from restate_play.patterns.bodies import Body, JsonBody, bad_request_is_400
from restate_play.world import chores


class Task(Body):
    description: str  # the subtasks, comma-separated


class SubTask(Body):
    description: str


# A request of the wrong shape fails at once with a 400 naming the field, instead of being retried.
worker = restate.Service("worker", invocation_context_managers=[bad_request_is_400])


@worker.handler(input_serde=JsonBody(Task))
async def run(ctx: Context, task: Task) -> dict[str, str]:
    subtasks = await ctx.run_typed("split task", split, task=task)

    # Fan out: start every subtask before awaiting any of them.
    calls = [ctx.service_call(run_subtask, arg=subtask) for subtask in subtasks]

    # Fan in: wait for all of them, then aggregate.
    results = [await call for call in await restate.gather(*calls)]
    return aggregate(results)


@worker.handler("runSubtask", input_serde=JsonBody(SubTask))
async def run_subtask(ctx: Context, subtask: SubTask) -> dict[str, str]:
    # The processing logic; it could live in a separate service to scale on its own.
    done = await ctx.run_typed("execute subtask", chores.execute_subtask, description=subtask.description)
    return {"description": done}


def split(task: Task) -> list[dict[str, str]]:
    return [{"description": description} for description in task.description.split(",")]


def aggregate(results: list[dict[str, str]]) -> dict[str, str]:
    description = ",".join(result["description"] for result in results)
    print(f"Aggregated result: {description}", flush=True)
    return {"description": description}


services = [worker]
