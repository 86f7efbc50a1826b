"""Exercise idempotent-payment: the provider's answer gets lost; the retry must not charge again."""

from datetime import timedelta

import restate

from restate_play.world import shop

checkout = restate.Service("Checkout")


@checkout.handler()
async def pay(ctx: restate.Context, order: str) -> str:
    amount = 42
    # CHANGE THIS: if the answer is lost, Restate retries the step and the provider charges again.
    charge = await ctx.run_typed("Charge", shop.charge, order=order, amount=amount)
    await ctx.sleep(timedelta(seconds=0.4), name="Wait for the warehouse")
    await ctx.run_typed("Ship", shop.ship, order=order)
    return f"{order} paid ({charge})"


services = [checkout]
