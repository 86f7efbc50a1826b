"""Exercise charge-once: a checkout that charges the card, waits for the warehouse, then ships."""

from datetime import timedelta

import restate

from restate_play.world import shop

checkout = restate.Service("Checkout")


@checkout.handler()
async def pay(ctx: restate.Context, order: str) -> str:
    amount = 42
    # CHANGE THIS: the charge runs outside the journal, so a replay after a crash runs it again.
    shop.charge(order, amount)
    await ctx.run_typed("Send confirmation", shop.send_email, to=order, kind="confirmation")
    await ctx.sleep(timedelta(seconds=1), name="Wait for the warehouse")
    await ctx.run_typed("Ship", shop.ship, order=order)
    return f"{order} paid and shipped"


services = [checkout]
