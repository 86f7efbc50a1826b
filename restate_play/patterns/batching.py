"""Batching: collect items per key and send them on in batches of 10, or earlier after a linger time.

`batcher` is a Virtual Object, so the items of one key are appended one request at a time and the
batch in its state is never raced. The first item of a batch schedules a delayed `expire` call to
the same object: if the batch is still undersized when the timer fires, it is sent as it is. A full
batch cancels that timer, so most `expire` calls never run at all.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import restate
from restate import ObjectContext

from restate_play.world import batches

MAX_BATCH = 10
# The linger time is the pattern itself and already short, so it is not scaled by the time knob:
# one item after another (like the document's for-loop) must fit a full batch into it.
MAX_BATCH_WAIT = timedelta(seconds=1)

ITEMS = "items"
EXPIRE_INVOCATION_ID = "expireInvocationId"

batcher = restate.VirtualObject("batcher")
batch_receiver = restate.VirtualObject("batchReceiver")


@batcher.handler()
async def receive(ctx: ObjectContext, item: Any) -> None:
    expire_invocation_id = await ctx.get(EXPIRE_INVOCATION_ID, type_hint=str)
    items = await ctx.get(ITEMS, type_hint=list) or []
    items.append(item)

    if len(items) >= MAX_BATCH:
        print(f"Sending batch as it reached {MAX_BATCH} items", flush=True)
        send_batch(ctx, expire_invocation_id, items)
        return

    if len(items) == 1:
        print(f"Adding item to new batch, will send in at most {MAX_BATCH_WAIT.total_seconds():g} s", flush=True)
        timer = ctx.object_send(expire, key=ctx.key(), arg=None, send_delay=MAX_BATCH_WAIT)
        # Remembering the timer's invocation id lets a full batch cancel it (fewer `expire` runs).
        ctx.set(EXPIRE_INVOCATION_ID, await timer.invocation_id())
    else:
        print("Adding item to batch", flush=True)

    ctx.set(ITEMS, items)


@batcher.handler()
async def expire(ctx: ObjectContext) -> None:
    items = await ctx.get(ITEMS, type_hint=list) or []
    print(f"Sending batch with {len(items)} items as the timer fired", flush=True)
    send_batch(ctx, None, items)


def send_batch(ctx: ObjectContext, expire_invocation_id: str | None, items: list[Any]) -> None:
    if expire_invocation_id:
        ctx.cancel_invocation(expire_invocation_id)
    ctx.clear(EXPIRE_INVOCATION_ID)
    ctx.clear(ITEMS)
    if items:
        ctx.object_send(receive_batch, key=ctx.key(), arg={"items": items})


@batch_receiver.handler("receive")
async def receive_batch(ctx: ObjectContext, batch: dict[str, Any]) -> None:
    await ctx.run_typed("Process batch", batches.process, key=ctx.key(), items=batch["items"])


services = [batcher, batch_receiver]
