"""Exercise idempotent-payment, solved: the same idempotency key on every retry of the charge."""

from datetime import timedelta

import restate

from restate_play.world import shop

checkout = restate.Service("Checkout")


@checkout.handler()
async def pay(ctx: restate.Context, order: str) -> str:
    amount = 42
    # Deterministic per invocation: every retry sends the same key, so the provider charges once.
    key = str(ctx.uuid())
    charge = await ctx.run_typed("Charge", shop.charge, order=order, amount=amount, idempotency_key=key)
    await ctx.sleep(timedelta(seconds=0.4), name="Wait for the warehouse")
    await ctx.run_typed("Ship", shop.ship, order=order)
    return f"{order} paid ({charge})"


services = [checkout]
