"""Exercise charge-once, solved: the charge is a journaled step, so a replay does not repeat it."""

from datetime import timedelta

import restate

from restate_play.world import shop

checkout = restate.Service("Checkout")


@checkout.handler()
async def pay(ctx: restate.Context, order: str) -> str:
    amount = 42
    # A journaled step: after a crash the replay returns the recorded charge instead of charging again.
    await ctx.run_typed("Charge", shop.charge, order=order, amount=amount)
    await ctx.run_typed("Send confirmation", shop.send_email, to=order, kind="confirmation")
    await ctx.sleep(timedelta(seconds=1), name="Wait for the warehouse")
    await ctx.run_typed("Ship", shop.ship, order=order)
    return f"{order} paid and shipped"


services = [checkout]
