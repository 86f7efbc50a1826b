"""Exercise terminal-errors, solved: the decline is final, the blip is retried."""

import restate
from restate.exceptions import TerminalError

from restate_play.world import shop

payments = restate.Service("Payments")


def authorize(card: str, amount: int) -> str:
    try:
        return shop.authorize(card, amount)
    except shop.CardDeclined as err:
        raise TerminalError(str(err), status_code=402) from err  # the bank's answer: final
    # shop.ProviderUnavailable propagates: Restate retries it.


@payments.handler()
async def pay(ctx: restate.Context, card: str) -> str:
    return await ctx.run_typed("Authorize", authorize, card=card, amount=42)


services = [payments]
