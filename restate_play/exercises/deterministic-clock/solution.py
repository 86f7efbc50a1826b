"""Exercise deterministic-clock, solved: the clock is read through the journal."""

from datetime import timedelta

import restate

from restate_play.world import shop

offers = restate.Service("Offers")


@offers.handler()
async def offer(ctx: restate.Context, order: str) -> str:
    # Journaled readings: a replay gets the first execution's times back and takes the same branch.
    started = await ctx.time()
    await ctx.sleep(timedelta(seconds=0.5), name="Wait for the customer")
    waited = await ctx.time() - started
    if waited > 0.3:
        await ctx.run_typed("Expire offer", shop.offer, order=order, outcome="expired")
    else:
        await ctx.run_typed("Apply offer", shop.offer, order=order, outcome="applied")
    await ctx.sleep(timedelta(seconds=0.8), name="Cool down")
    await ctx.run_typed("Send e-mail", shop.send_email, to=order, kind="offer")
    return f"waited {waited:.1f} s"


services = [offers]
