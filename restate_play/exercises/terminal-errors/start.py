"""Exercise terminal-errors: a card authorization with a retryable and a final error."""

import restate
from restate.exceptions import TerminalError

from restate_play.world import shop

payments = restate.Service("Payments")


def authorize(card: str, amount: int) -> str:
    # CHANGE THIS: a network blip is made final, and a declined card is retried for ever.
    try:
        return shop.authorize(card, amount)
    except shop.ProviderUnavailable as err:
        raise TerminalError(str(err), status_code=503) from err


@payments.handler()
async def pay(ctx: restate.Context, card: str) -> str:
    return await ctx.run_typed("Authorize", authorize, card=card, amount=42)


services = [payments]
