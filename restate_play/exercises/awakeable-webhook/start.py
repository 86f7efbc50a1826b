"""Exercise awakeable-webhook: a payment that waits for the provider to say 'paid'."""

from datetime import timedelta

import restate

from restate_play.world import shop

payments = restate.Service("Payments")


@payments.handler()
async def pay(ctx: restate.Context, order: str) -> str:
    await ctx.run_typed("Start payment", shop.start_payment, order=order)
    # CHANGE THIS: polling the provider's status API; the provider can call back instead.
    while await ctx.run_typed("Ask the provider", shop.payment_status, order=order) != "paid":
        await ctx.sleep(timedelta(milliseconds=200), name="Poll again")
    return f"{order} paid"


services = [payments]
