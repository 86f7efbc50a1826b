"""Exercise failing-compensation, solved: the refund is a step Restate retries until it succeeds."""

import restate
from restate.exceptions import TerminalError

from restate_play.world import shop

orders = restate.Service("Orders")


def reserve_stock(order: str) -> None:
    raise TerminalError(f"no stock left for {order}", status_code=409)


@orders.handler()
async def order(ctx: restate.Context, order: str) -> str:
    amount = 42
    key = str(ctx.uuid())
    await ctx.run_typed("Charge", shop.charge, order=order, amount=amount, idempotency_key=key)
    try:
        await ctx.run_typed("Reserve stock", reserve_stock, order=order)
    except TerminalError:
        # Retried until it succeeds: an undo must not give up.
        await ctx.run_typed("Refund", shop.refund, order=order, amount=amount)
        raise
    return f"{order} placed"


services = [orders]
