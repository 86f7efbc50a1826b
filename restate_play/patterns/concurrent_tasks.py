"""Concurrent Async Tasks: email verification, a confirmation raced against a reminder and an expiry.

The user gets a mail with a link; clicking it resolves an awakeable (a durable future that an outside
system completes). While waiting, the handler sends a reminder every 10 seconds and gives up after a
day. All three are durable: `select` picks whichever completes first, the choice is journaled, and
after a crash or restart the handler replays the same choices and keeps the same timers running.
"""

from __future__ import annotations

from datetime import timedelta

import restate
from restate import Context, TerminalError

from restate_play.patterns.bodies import Body, JsonBody, bad_request_is_400
from restate_play.world import verification_mail
from restate_play.world.timing import scaled

REMINDER_INTERVAL = timedelta(seconds=10)
VERIFICATION_TIMEOUT = timedelta(days=1)


class VerifyEmailRequest(Body):
    email: str
    user_id: str


# A request of the wrong shape fails at once with a 400 naming the field, instead of being retried.
email_verification = restate.Service("EmailVerification", invocation_context_managers=[bad_request_is_400])


@email_verification.handler("verifyEmail", input_serde=JsonBody(VerifyEmailRequest))
async def verify_email(ctx: Context, req: VerifyEmailRequest) -> str:
    confirmation_id, confirmation = ctx.awakeable(type_hint=bool)
    await ctx.run_typed(
        "send email", verification_mail.send_verification_email, email=req.email, awakeable_id=confirmation_id
    )

    # One timer for the whole verification; a fresh reminder timer on every round of the loop.
    verification_timeout = ctx.sleep(scaled(VERIFICATION_TIMEOUT, "verification timeout"), name="verification timeout")
    while True:
        reminder = ctx.sleep(scaled(REMINDER_INTERVAL, "reminder"), name="reminder")
        match await restate.select(confirmation=confirmation, reminder=reminder, timeout=verification_timeout):
            case ["confirmation", True]:
                return "Email verified"
            case ["confirmation", _]:
                return "Email rejected"
            case ["reminder", _]:
                await ctx.run_typed(
                    "send reminder", verification_mail.send_reminder, email=req.email, awakeable_id=confirmation_id
                )
            case ["timeout", _]:
                raise TerminalError("Verification timed out")


services = [email_verification]
