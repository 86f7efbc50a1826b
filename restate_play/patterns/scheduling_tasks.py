"""Scheduling Tasks: a payment tracker that reminds the customer, then escalates to support.

`PaymentTracker` is a Virtual Object keyed by invoice id, fed by the payment provider's webhook
events. A failed payment sends a reminder email and schedules the next check as a *delayed call to
itself*: Restate keeps that timer durably (a day here), across crashes and deployments. After three
reminders the invoice goes to the support team; a success event marks it paid, and the next
scheduled check then finds it paid and stops the loop.
"""

from __future__ import annotations

from datetime import timedelta

import restate
from restate import ObjectContext

from restate_play.patterns.bodies import Body, JsonBody, bad_request_is_400
from restate_play.world import billing
from restate_play.world.timing import scaled

MAX_REMINDERS = 3
REMINDER_INTERVAL = timedelta(days=1)

PAID = "paid"
REMINDERS_COUNT = "reminders_count"


class StripeEventData(Body):
    id: str
    customer: str


class StripeEvent(Body):
    type: str
    created: int
    data: StripeEventData


# A request of the wrong shape fails at once with a 400 naming the field, instead of being retried.
payment_tracker = restate.VirtualObject("PaymentTracker", invocation_context_managers=[bad_request_is_400])


@payment_tracker.handler("onPaymentSuccess", input_serde=JsonBody(StripeEvent))
async def on_payment_success(ctx: ObjectContext, event: StripeEvent) -> None:
    ctx.set(PAID, True)


@payment_tracker.handler("onPaymentFailure", input_serde=JsonBody(StripeEvent))
async def on_payment_failure(ctx: ObjectContext, event: StripeEvent) -> None:
    if await ctx.get(PAID, type_hint=bool):
        return  # paid in the meantime: the reminder loop ends here

    reminders_count = await ctx.get(REMINDERS_COUNT, type_hint=int) or 0
    if reminders_count >= MAX_REMINDERS:
        await ctx.run_typed(
            "Escalate to support", billing.escalate_to_support, invoice=ctx.key(), event=event.model_dump()
        )
        return

    ctx.set(REMINDERS_COUNT, reminders_count + 1)
    await ctx.run_typed("Send reminder email", billing.send_reminder_email, invoice=ctx.key(), event=event.model_dump())
    # The next check is a call to ourselves, delayed by a durable timer that Restate keeps.
    ctx.object_send(
        on_payment_failure, key=ctx.key(), arg=event, send_delay=scaled(REMINDER_INTERVAL, "reminder interval")
    )


services = [payment_tracker]
