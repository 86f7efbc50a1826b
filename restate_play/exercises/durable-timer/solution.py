"""Exercise durable-timer, solved: the wait is a durable timer in restate-server."""

from datetime import timedelta

import restate

from restate_play.world import shop

signups = restate.Service("Signups")


@signups.handler()
async def signup(ctx: restate.Context, user: str) -> str:
    await ctx.run_typed("Welcome e-mail", shop.send_email, to=user, kind="welcome")
    # Journaled: the timer keeps running in the server while the service is down.
    await ctx.sleep(timedelta(seconds=2), name="Wait before the reminder")
    await ctx.run_typed("Reminder e-mail", shop.send_email, to=user, kind="reminder")
    return f"{user} welcomed and reminded"


services = [signups]
