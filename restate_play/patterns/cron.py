"""Cron Jobs: a cron service built from durable timers, task control and K/V state.

Restate has no cron of its own, but three building blocks make one:
- every job is a `CronJob` Virtual Object (its key is the job id) that keeps its request and the id
  of its next execution in K/V state;
- each execution is a *delayed one-way call* to the job itself: Restate holds the timer durably,
  and the execution triggers the task, then schedules the one after;
- cancelling a job cancels that scheduled invocation and clears the state, so nothing fires again.

Expressions are standard five-field crontab lines in UTC ("* * * * *" every minute, "0 0 * * *" at
midnight). Like the cron-parser library of the TypeScript example, a sixth, leading field gives the
seconds ("*/2 * * * * *" every two seconds), which the playground's scenarios use to stay short.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import restate
from croniter import croniter
from restate import Context, ObjectContext, ObjectSharedContext, TerminalError

from restate_play.patterns.bodies import Body, JsonBody, bad_request_is_400
from restate_play.world import cron_tasks

JOB = "job"  # the job's request, next execution time and next execution id


class JobRequest(Body):
    cron_expression: str  # e.g. "0 0 * * *" (every day at midnight)
    service: str
    method: str  # the handler to call
    key: str | None = None  # for a Virtual Object handler
    payload: Any = None
    id: str | None = None  # a job id of your choice; a fresh one otherwise


# A request of the wrong shape fails at once with a 400 naming the field, instead of being retried.
cron_job_initiator = restate.Service("CronJobInitiator", invocation_context_managers=[bad_request_is_400])
cron_job = restate.VirtualObject("CronJob", invocation_context_managers=[bad_request_is_400])


@cron_job_initiator.handler(input_serde=JsonBody(JobRequest))
async def create(ctx: Context, request: JobRequest) -> str:
    # ctx.uuid() is journaled: if this handler is retried, it still creates one job, not two.
    job_id = request.id or str(ctx.uuid())
    job = await ctx.object_call(initiate, key=job_id, arg=request)
    return f"Job created with ID {job_id} and next execution time {job['next_execution_time']}"


@cron_job.handler(input_serde=JsonBody(JobRequest))
async def initiate(ctx: ObjectContext, request: JobRequest) -> dict[str, Any]:
    if await ctx.get(JOB, type_hint=dict) is not None:
        raise TerminalError("Job already exists for this ID.")
    return await _schedule_next_execution(ctx, request)


@cron_job.handler()
async def execute(ctx: ObjectContext) -> None:
    job = await ctx.get(JOB, type_hint=dict)
    if job is None:
        raise TerminalError("Job not found.")
    request = JobRequest.model_validate(job["request"])
    # Fire and forget: a slow or failing task does not delay the schedule (Restate retries it).
    payload = json.dumps(request.payload).encode() if request.payload is not None else b""
    ctx.generic_send(request.service, request.method, payload, key=request.key)
    await _schedule_next_execution(ctx, request)


@cron_job.handler()
async def cancel(ctx: ObjectContext) -> None:
    job = await ctx.get(JOB, type_hint=dict)
    if job is not None:
        ctx.cancel_invocation(job["next_execution_id"])
    ctx.clear_all()


@cron_job.handler(name="getInfo", kind="shared")
async def get_info(ctx: ObjectSharedContext) -> dict[str, Any] | None:
    return await ctx.get(JOB, type_hint=dict)


async def _schedule_next_execution(ctx: ObjectContext, request: JobRequest) -> dict[str, Any]:
    # The clock is read through the journal, so a replay computes the same next time.
    now = datetime.fromtimestamp(await ctx.time(), tz=UTC)
    try:
        next_time = next_execution_time(request.cron_expression, now)
    except (TypeError, ValueError) as err:
        raise TerminalError(f"Invalid cron expression: {err}", status_code=400) from err

    handle = ctx.object_send(execute, key=ctx.key(), arg=None, send_delay=next_time - now)
    job = {
        "request": request.model_dump(exclude_unset=True),  # as it was sent
        "next_execution_time": next_time.isoformat(),
        "next_execution_id": await handle.invocation_id(),
    }
    ctx.set(JOB, job)
    return job


def next_execution_time(expression: str, after: datetime) -> datetime:
    """The first time strictly after `after` that matches the expression (5 fields, or 6 with seconds first)."""
    return croniter(expression, after, second_at_beginning=True).get_next(datetime)


# --- the tasks the cron jobs run ---------------------------------------------------------------

task_service = restate.Service("TaskService")


@task_service.handler("executeTask")
async def execute_task(ctx: Context, task: str | None) -> None:
    await ctx.run_typed("Execute task", cron_tasks.execute_task, target="TaskService", payload=task)


# A cron job can also target a Virtual Object handler: give the object's key in the request.
task_object = restate.VirtualObject("TaskObject")


@task_object.handler("executeTask")
async def execute_object_task(ctx: ObjectContext, task: str | None) -> None:
    await ctx.run_typed("Execute task", cron_tasks.execute_task, target=f"TaskObject/{ctx.key()}", payload=task)
    ctx.set("runs", (await ctx.get("runs", type_hint=int) or 0) + 1)


services = [cron_job_initiator, cron_job, task_service, task_object]
