"""Exercise fire-and-forget: a signup that sends its welcome e-mail in the background."""

import asyncio

import restate

from restate_play.world import shop

signups = restate.Service("Signups")
background = set()  # keeps the tasks referenced until they finish


async def welcome_later(user: str) -> None:
    await asyncio.sleep(0.5)
    shop.send_email(user, "welcome")


@signups.handler()
async def signup(ctx: restate.Context, user: str) -> str:
    # CHANGE THIS: this task lives only in this process; a crash loses it.
    task = asyncio.create_task(welcome_later(user))
    background.add(task)
    task.add_done_callback(background.discard)
    return f"{user} signed up"


services = [signups]
