"""Priority Queue: at most 10 expensive operations in flight, the rest wait their turn by priority.

`queue` is a Virtual Object built from state and awakeables. Its state is the waiting `items`
(each an awakeable id and a priority) and the `inFlight` count. A caller creates an awakeable,
pushes it onto the queue and suspends on it; whenever the queue has room it picks the waiting item
with the *lowest* priority number (1 before 2, first come first served within a priority) and
resolves its awakeable. When the operation finishes, the caller tells the queue it is `done`.
The queue is one object key, so its handlers run one at a time and the count is never raced.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import restate
from restate import Context, ObjectContext, TerminalError

from restate_play.patterns.bodies import Body, JsonBody, bad_request_is_400
from restate_play.world import compute

T = TypeVar("T")

MAX_IN_FLIGHT = 10
ITEMS, IN_FLIGHT = "items", "inFlight"

log = restate.getLogger(__name__)  # silent while a handler replays its journal

# --- the queue ------------------------------------------------------------------------------------

queue = restate.VirtualObject("queue")


@queue.handler()
async def push(ctx: ObjectContext, item: dict) -> None:
    items = await ctx.get(ITEMS, type_hint=list) or []
    _tick(ctx, [*items, item], await ctx.get(IN_FLIGHT, type_hint=int) or 0)


@queue.handler()
async def done(ctx: ObjectContext) -> None:
    items = await ctx.get(ITEMS, type_hint=list) or []
    _tick(ctx, items, (await ctx.get(IN_FLIGHT, type_hint=int) or 0) - 1)


@queue.handler()
async def drop(ctx: ObjectContext, awakeable_id: str) -> None:
    """The caller gave up (it was cancelled): forget its item, or free its slot if it had one."""
    items = await ctx.get(ITEMS, type_hint=list) or []
    in_flight = await ctx.get(IN_FLIGHT, type_hint=int) or 0
    remaining = [item for item in items if item["awakeable"] != awakeable_id]
    if len(remaining) == len(items):  # already let through: treat it as done
        in_flight -= 1
    _tick(ctx, remaining, in_flight)


def _tick(ctx: ObjectContext, items: list[dict], in_flight: int) -> None:
    while in_flight < MAX_IN_FLIGHT and items:
        item = _select_and_pop(items)
        in_flight += 1
        ctx.resolve_awakeable(item["awakeable"], None)  # your turn
    ctx.set(ITEMS, items)
    ctx.set(IN_FLIGHT, in_flight)
    log.info("Tick end. Queue length: %d, In Flight: %d", len(items), in_flight)


def _select_and_pop(items: list[dict]) -> dict:
    """Lowest priority number first; the earliest pushed among equals. Put your fairness rule here."""
    best = min(range(len(items)), key=lambda i: items[i]["priority"])
    return items.pop(best)


async def run_queued(ctx: Context, queue_name: str, priority: int, operation: Callable[[], Awaitable[T]]) -> T:
    """Run `operation` once the queue `queue_name` lets this invocation through."""
    awakeable_id, my_turn = ctx.awakeable()
    ctx.object_send(push, key=queue_name, arg={"awakeable": awakeable_id, "priority": priority})
    try:
        await my_turn
    except TerminalError:  # cancelled while waiting: take the item off the queue
        ctx.object_send(drop, key=queue_name, arg=awakeable_id)
        raise
    try:
        result = await operation()
    except TerminalError:  # failed for good: the slot is free again
        ctx.object_send(done, key=queue_name, arg=None)
        raise
    ctx.object_send(done, key=queue_name, arg=None)
    return result


# --- the service the queue protects --------------------------------------------------------------


class ExpensiveRequest(Body):
    left: int
    right: int
    priority: int = 1  # lower goes first


# A request of the wrong shape fails at once with a 400 naming the field, instead of being retried.
my_service = restate.Service("myService", invocation_context_managers=[bad_request_is_400])
QUEUE_NAME = "myService/expensiveMethod"


@my_service.handler("expensiveMethod", input_serde=JsonBody(ExpensiveRequest))
async def expensive_method(ctx: Context, params: ExpensiveRequest) -> int:
    left, right, priority = params.left, params.right, params.priority

    async def operation() -> int:
        return await ctx.run_typed(
            "expensive operation", compute.expensive_operation, left=left, right=right, priority=priority
        )

    return await run_queued(ctx, QUEUE_NAME, priority, operation)


services = [my_service, queue]
