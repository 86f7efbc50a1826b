"""Payment Signals: one handler that waits for a payment's synchronous answer or its later webhook.

A payment provider often answers at once, but slow payment methods only answer "processing" and
report the outcome later by webhook. `processPayment` creates an awakeable *before* calling the
provider and hands its id over in the payment's metadata; if the answer is not final, it simply
awaits the awakeable, which `processWebhook` resolves when the webhook arrives. The invocation may
wait minutes or days this way, durably: no polling, no state machine, one function.
"""

from __future__ import annotations

from typing import Any

import restate
from restate import Context, TerminalError

from restate_play.patterns.bodies import Body, JsonBody, bad_request_is_400
from restate_play.world import payment_intents as stripe


class PaymentRequest(Body):
    payment_method_id: str
    amount: int  # in cents
    delayed_status: bool = False  # the emulated provider answers "processing" and sends a webhook later


# A request of the wrong shape fails at once with a 400 naming the field, instead of being retried.
payments = restate.Service("payments", invocation_context_managers=[bad_request_is_400])


@payments.handler("processPayment", input_serde=JsonBody(PaymentRequest))
async def process_payment(ctx: Context, request: PaymentRequest) -> None:
    verify_payment_request(request)

    # Deterministic: a retry of this step sends the same key, so the provider charges only once.
    idempotency_key = str(ctx.uuid())

    # Listen for the webhook before calling: it may come before the call's answer is journaled.
    intent_webhook_id, intent_promise = ctx.awakeable(type_hint=dict)

    payment_intent = await ctx.run_typed(
        "stripe call",
        create_payment_intent,
        payment_method_id=request.payment_method_id,
        amount=request.amount,
        idempotency_key=idempotency_key,
        intent_webhook_id=intent_webhook_id,
        delayed_status=request.delayed_status,
    )

    if payment_intent["status"] != "processing":
        # The synchronous call already settled it. That was fast :)
        print(f"Request {idempotency_key} was processed synchronously!", flush=True)
        ensure_success(payment_intent["status"])
        return

    # No final answer yet: the provider will tell us by webhook (see process_webhook).
    print(f"Payment intent for {idempotency_key} still 'processing', awaiting webhook call...", flush=True)
    processed_payment_intent = await intent_promise
    print(f"Webhook call for {idempotency_key} received!", flush=True)
    ensure_success(processed_payment_intent["status"])


@payments.handler("processWebhook")
async def process_webhook(ctx: Context) -> dict[str, bool]:
    request = ctx.request()
    try:
        event = stripe.parse_webhook_call(request.body, request.headers.get("stripe-signature"))
    except stripe.WebhookError as err:
        raise TerminalError(str(err), status_code=400) from err

    if not stripe.is_payment_intent(event):
        print(f"Unhandled event type {event.get('type')}", flush=True)
        return {"received": True}

    payment_intent = event["data"]["object"]
    webhook_promise = payment_intent.get("metadata", {}).get(stripe.RESTATE_CALLBACK_ID)
    if not webhook_promise:
        raise TerminalError(f"Missing callback property: {stripe.RESTATE_CALLBACK_ID}", status_code=404)
    ctx.resolve_awakeable(webhook_promise, payment_intent)
    return {"received": True}


def create_payment_intent(**kwargs: Any) -> dict[str, Any]:
    """A declined card is a final answer (TerminalError); anything else that fails is retried."""
    try:
        return stripe.create_payment_intent(**kwargs)
    except stripe.CardDeclined as declined:
        raise TerminalError(str(declined)) from declined


def ensure_success(status: str) -> None:
    if status == "succeeded":
        return
    if status in ("requires_payment_method", "canceled"):
        raise TerminalError(f"Payment declined: {status}")
    raise RuntimeError(f"Unhandled status: {status}")  # not terminal: Restate retries


def verify_payment_request(request: PaymentRequest) -> None:
    if not request.amount:
        raise TerminalError("'amount' missing or zero in request")
    if not request.payment_method_id:
        raise TerminalError("'paymentMethodId' missing in request")


services = [payments]
