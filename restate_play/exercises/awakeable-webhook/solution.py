"""Exercise awakeable-webhook, solved: the provider resolves an awakeable when the payment is done."""

import restate

from restate_play.world import shop

payments = restate.Service("Payments")


@payments.handler()
async def pay(ctx: restate.Context, order: str) -> str:
    # A durable promise with an id: the provider's webhook resolves it, the handler waits suspended.
    callback, paid = ctx.awakeable(type_hint=bool)
    await ctx.run_typed("Start payment", shop.start_payment, order=order, callback=callback)
    await paid
    return f"{order} paid"


services = [payments]
