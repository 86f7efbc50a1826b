"""Webhook Callbacks: a payment provider's webhooks go straight to a Restate handler.

Any handler can be a webhook endpoint: Restate persists each delivery before the handler runs,
so an event, once acknowledged, is never lost, and the handler is retried until it is processed.
Providers deliver at least once, so the same event may arrive twice: the provider's webhook is
set up to send the event id as `idempotency-key`, and Restate processes each event once.
"""

from __future__ import annotations

import os

import restate
from restate import Context, ObjectContext

from restate_play.patterns.bodies import Body, JsonBody, bad_request_is_400
from restate_play.world import mail, payment_webhooks


class StripeObject(Body):
    id: str  # the invoice id
    customer: str


class StripeData(Body):
    object: StripeObject


class StripeEvent(Body):
    id: str  # the event id
    type: str
    created: int
    data: StripeData


# --- the payment tracker, one object per invoice ----------------------------------------------
# (The document leaves it a stub; the Scheduling Tasks pattern has a full one.)

# A request of the wrong shape fails at once with a 400 naming the field, instead of being retried.
payment_tracker = restate.VirtualObject("PaymentTracker", invocation_context_managers=[bad_request_is_400])


@payment_tracker.handler("onPaymentFailed", input_serde=JsonBody(StripeEvent))
async def on_payment_failed(ctx: ObjectContext, event: StripeEvent) -> None:
    invoice = event.data.object
    failures = (await ctx.get("failures", type_hint=int) or 0) + 1
    ctx.set("failures", failures)
    ctx.set("status", "payment failed")
    await ctx.run_typed(
        "Email reminder",
        mail.send_email,
        to=invoice.customer,
        subject=f"Payment for invoice {invoice.id} failed",
        invoice=invoice.id,
    )


@payment_tracker.handler("onPaymentSuccess", input_serde=JsonBody(StripeEvent))
async def on_payment_success(ctx: ObjectContext, event: StripeEvent) -> None:
    ctx.set("status", "paid")


# --- the webhook endpoint ------------------------------------------------------------------------

webhook_callback_router = restate.Service("WebhookCallbackRouter", invocation_context_managers=[bad_request_is_400])


@webhook_callback_router.handler("onStripeEvent", input_serde=JsonBody(StripeEvent))
async def on_stripe_event(ctx: Context, event: StripeEvent) -> None:
    # Nothing webhook-specific: route the event to the invoice's tracker and acknowledge at once.
    invoice_id = event.data.object.id
    if event.type == "invoice.payment_failed":
        ctx.object_send(on_payment_failed, invoice_id, event)
    elif event.type == "invoice.payment_succeeded":
        ctx.object_send(on_payment_success, invoice_id, event)


services = [webhook_callback_router, payment_tracker]


# --- the payment provider's side ------------------------------------------------------------------
# The webhook set up at the provider: point it at the handler, with the event id as idempotency key.

RESTATE_URL = os.environ.get("RESTATE_INGRESS_URL", "http://127.0.0.1:8080")
WEBHOOK = payment_webhooks.WebhookEndpoint(
    url=f"{RESTATE_URL}/WebhookCallbackRouter/onStripeEvent",
    event_id_header="idempotency-key",
)

# The provider's test API (like `stripe trigger`), served beside the services: POST /trigger/<event type>
client_app = payment_webhooks.trigger_api(WEBHOOK)
