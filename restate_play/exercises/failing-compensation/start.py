"""Exercise failing-compensation: an order whose refund, its undo, may fail once."""

import restate
from restate import RunOptions
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
        # CHANGE THIS: one attempt, and a failure is swallowed: the refund is lost for good.
        try:
            await ctx.run_typed("Refund", shop.refund, RunOptions(max_attempts=1), order=order, amount=amount)
        except TerminalError as err:
            print(f"refund failed, moving on: {err}")
        raise
    return f"{order} placed"


services = [orders]
