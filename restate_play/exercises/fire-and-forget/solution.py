"""Exercise fire-and-forget, solved: the e-mail is a durable, delayed one-way message."""

from datetime import timedelta

import restate

from restate_play.world import shop

signups = restate.Service("Signups")


@signups.handler()
async def welcome(ctx: restate.Context, user: str) -> None:
    await ctx.run_typed("Welcome e-mail", shop.send_email, to=user, kind="welcome")


@signups.handler()
async def signup(ctx: restate.Context, user: str) -> str:
    # Journaled before the answer: Restate delivers it half a second later, crash or not.
    ctx.service_send(welcome, user, send_delay=timedelta(seconds=0.5))
    return f"{user} signed up"


services = [signups]
