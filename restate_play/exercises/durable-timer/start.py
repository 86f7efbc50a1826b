"""Exercise durable-timer: a welcome e-mail, a wait, a reminder."""

import asyncio

import restate

from restate_play.world import shop

signups = restate.Service("Signups")


@signups.handler()
async def signup(ctx: restate.Context, user: str) -> str:
    await ctx.run_typed("Welcome e-mail", shop.send_email, to=user, kind="welcome")
    # CHANGE THIS: this timer lives in the process; a crash forgets it and the replay starts over.
    await asyncio.sleep(2)
    await ctx.run_typed("Reminder e-mail", shop.send_email, to=user, kind="reminder")
    return f"{user} welcomed and reminded"


services = [signups]
