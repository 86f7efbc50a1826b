"""An emulated Stripe-like payment provider: payment intents, answered at once or later by webhook.

`create_payment_intent` answers synchronously with the intent's status, like Stripe's API. With
`delayed_status` (the document's testing switch) it answers "processing" instead, as slow payment
methods (IBAN transfers, Klarna) do, and reports the real outcome later: a signed
`payment_intent.*` event POSTed to `$RESTATE_INGRESS_URL/payments/processWebhook` by the world's
own process (so it comes even while the service is down), recorded in the ledger. Requests carry
an idempotency key: the same key gets the first answer back and is never charged (or reported)
twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from datetime import timedelta
from typing import Any

import httpx

from restate_play.loopback_http import loopback_client
from restate_play.world import ledger
from restate_play.world.later import call_later
from restate_play.world.timing import scaled

WEBHOOK_SECRET = "whsec_restate_play_test"
RESTATE_CALLBACK_ID = "restate_callback_id"
# How long a slow payment method takes to settle before the webhook comes (scaled).
SETTLE_TIME = timedelta(seconds=5)
DECLINED_METHODS = {"pm_card_visa_chargeDeclined"}
WEBHOOK_ATTEMPTS = 10


class CardDeclined(Exception):
    """The card was declined on the synchronous path: final."""


class WebhookError(Exception):
    """A webhook call that is not from the provider (no or wrong signature) or not parseable."""


def create_payment_intent(
    payment_method_id: str, amount: int, idempotency_key: str, intent_webhook_id: str, delayed_status: bool = False
) -> dict[str, Any]:
    earlier = _answer_for(idempotency_key)
    if earlier is not None:  # a retried request: the first answer again, no second charge
        if earlier["status"] == "requires_payment_method" and not delayed_status:
            raise CardDeclined(_declined_message(earlier))
        return earlier

    declined = payment_method_id in DECLINED_METHODS
    intent = {
        "id": f"pi_{secrets.token_hex(12)}",
        "object": "payment_intent",
        "amount": amount,
        "currency": "usd",
        "payment_method": payment_method_id,
        "status": "requires_payment_method" if declined else "succeeded",
        "metadata": {RESTATE_CALLBACK_ID: intent_webhook_id},
    }
    answer = {**intent, "status": "processing"} if delayed_status else intent
    ledger.record(
        "stripe.intent.created",
        intent=intent["id"],
        payment_method=payment_method_id,
        amount=amount,
        delayed=delayed_status,
        status=answer["status"],
        idempotency_key=idempotency_key,
        answer=answer,
    )
    if delayed_status:
        print(f"[stripe] {intent['id']} is processing; its outcome will come by webhook", flush=True)
        # Sent by the world's own process: a crash of this service does not stop the provider.
        call_later(_send_webhook, scaled(SETTLE_TIME, name="stripe settle").total_seconds(), intent)
    elif declined:
        raise CardDeclined(_declined_message(intent))
    return answer


def parse_webhook_call(body: bytes, signature: str | None) -> dict[str, Any]:
    """Check the `stripe-signature` header (t=…,v1=HMAC-SHA256 of "t.body") and parse the event."""
    if not signature:
        raise WebhookError("Missing 'stripe-signature' header.")
    parts = dict(p.split("=", 1) for p in signature.split(",") if "=" in p)
    expected = _sign(parts.get("t", ""), body)
    if not hmac.compare_digest(parts.get("v1", ""), expected):
        raise WebhookError("Webhook Error: No signatures found matching the expected signature for payload")
    try:
        return json.loads(body)
    except ValueError as err:
        raise WebhookError(f"Webhook Error: {err}") from err


def is_payment_intent(event: dict[str, Any]) -> bool:
    return str(event.get("type", "")).startswith("payment_intent")


def _send_webhook(intent: dict[str, Any]) -> None:
    kind = "succeeded" if intent["status"] == "succeeded" else "payment_failed"
    event = {"id": f"evt_{secrets.token_hex(12)}", "type": f"payment_intent.{kind}", "data": {"object": intent}}
    body = json.dumps(event).encode()
    url = os.environ.get("RESTATE_INGRESS_URL", "http://127.0.0.1:8080") + "/payments/processWebhook"
    for attempt in range(1, WEBHOOK_ATTEMPTS + 1):  # like Stripe, retry until acknowledged
        sent_at = time.time()
        timestamp = str(int(sent_at))
        headers = {"content-type": "application/json", "stripe-signature": f"t={timestamp},v1={_sign(timestamp, body)}"}
        try:
            with loopback_client(timeout=30.0) as http:
                status = http.post(url, content=body, headers=headers).status_code
        except httpx.HTTPError as err:
            status = f"error: {err.__class__.__name__}"
        ledger.record(
            "stripe.webhook.sent",
            event=event["id"],
            type=event["type"],
            intent=intent["id"],
            payment_method=intent["payment_method"],
            delayed=True,
            status=intent["status"],
            http_status=status,
            attempt=attempt,
            sent_at=round(sent_at, 3),  # when the call went out; the entry is written at its answer
        )
        print(f"[stripe] webhook {event['type']} for {intent['id']} → {status}", flush=True)
        if isinstance(status, int) and status < 500:
            return
        time.sleep(1.0)


def _sign(timestamp: str, body: bytes) -> str:
    return hmac.new(WEBHOOK_SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _answer_for(idempotency_key: str) -> dict[str, Any] | None:
    for entry in ledger.read():
        if entry.action == "stripe.intent.created" and entry.args.get("idempotency_key") == idempotency_key:
            return entry.args.get("answer")
    return None


def _declined_message(intent: dict[str, Any]) -> str:
    return f"Payment declined: {intent['status']} - Your card was declined."
