"""Exercise deterministic-clock: an offer that expires when the customer took too long."""

import time
from datetime import timedelta

import restate

from restate_play.world import shop

offers = restate.Service("Offers")


@offers.handler()
async def offer(ctx: restate.Context, order: str) -> str:
    # CHANGE THIS: the wall clock is not journaled; on a replay it tells a different story.
    started = time.time()
    await ctx.sleep(timedelta(seconds=0.5), name="Wait for the customer")
    waited = time.time() - started
    if waited > 0.3:
        await ctx.run_typed("Expire offer", shop.offer, order=order, outcome="expired")
    else:
        await ctx.run_typed("Apply offer", shop.offer, order=order, outcome="applied")
    await ctx.sleep(timedelta(seconds=0.8), name="Cool down")
    await ctx.run_typed("Send e-mail", shop.send_email, to=order, kind="offer")
    return f"waited {waited:.1f} s"


services = [offers]
