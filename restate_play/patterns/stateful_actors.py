"""Stateful Actors and State Machines: a factory machine as a Virtual Object.

The object key is the machine id. Restate runs one handler per key at a time, so transitions of
one machine queue up and never interleave (single writer per key), while different machines
progress in parallel. A transition is durable: if the process crashes halfway, the retry resumes
after the last completed step instead of starting over.
"""

from __future__ import annotations

from datetime import timedelta

import restate
from restate import ObjectContext

from restate_play.world import factory
from restate_play.world.timing import scaled

STATUS = "state"
UP, DOWN = "UP", "DOWN"
TRANSITION_TIME = timedelta(seconds=5)

machine_operator = restate.VirtualObject("machineOperator")


@machine_operator.handler("setUp")
async def set_up(ctx: ObjectContext) -> str:
    machine_id = ctx.key()
    if await ctx.get(STATUS, type_hint=str) == UP:
        return f"{machine_id} is already up, so nothing to do"
    # No locks or version checks needed: nothing else touches this machine while we run.
    await _transition(ctx, machine_id, UP)
    ctx.set(STATUS, UP)
    return f"{machine_id} is now up"


@machine_operator.handler("tearDown")
async def tear_down(ctx: ObjectContext) -> str:
    machine_id = ctx.key()
    if await ctx.get(STATUS, type_hint=str) != UP:
        return f"{machine_id} is not up, cannot tear down"
    await _transition(ctx, machine_id, DOWN)
    ctx.set(STATUS, DOWN)
    return f"{machine_id} is now down"


@machine_operator.handler(kind="shared")
async def status(ctx: restate.ObjectSharedContext) -> str:
    return await ctx.get(STATUS, type_hint=str) or DOWN


async def _transition(ctx: ObjectContext, machine_id: str, target: str) -> None:
    await ctx.run_typed(f"Begin {target}", factory.begin_transition, machine_id=machine_id, target=target)
    factory.maybe_crash(machine_id, target)
    await ctx.sleep(scaled(TRANSITION_TIME), name=f"Transition to {target}")
    await ctx.run_typed(f"Done {target}", factory.done_transition, machine_id=machine_id, target=target)


services = [machine_operator]
