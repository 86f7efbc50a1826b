"""An emulated payment provider (Stripe-like) that reports invoice events to you by webhook.

Its test API, `POST /trigger/<event type>` with `{"invoice": …, "customer": …}` (like
`stripe trigger`), creates an event and delivers it to the configured webhook endpoint: a real
HTTP call from the world's own process (see world/later.py), recorded in the ledger. Like real
providers it delivers at least once: when it does not see an acknowledgement (fault point
`webhook.ack_lost`, per invoice) it delivers the same event, with the same event id, again.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from restate_play.loopback_http import loopback_async_client
from restate_play.world import ledger
from restate_play.world.asgi import respond_json
from restate_play.world.faults import should_fail
from restate_play.world.later import call_later
from restate_play.world.timing import scaled

MAX_DELIVERIES = 5
RETRY_AFTER = timedelta(seconds=5)  # the provider's pause before delivering again (scaled)


@dataclass(frozen=True)
class WebhookEndpoint:
    """The webhook settings a provider keeps for you: where to deliver, and which header carries
    the event id (None: only in the body)."""

    url: str
    event_id_header: str | None = None


def new_event(event_type: str, invoice: str, customer: str) -> dict[str, Any]:
    return {
        "id": f"evt_{secrets.token_hex(8)}",
        "type": event_type,
        "created": int(time.time()),
        "data": {"object": {"id": invoice, "customer": customer}},
    }


async def deliver(endpoint: WebhookEndpoint, event: dict[str, Any]) -> None:
    """Deliver until the endpoint acknowledges (2xx), as providers do."""
    headers = {endpoint.event_id_header: event["id"]} if endpoint.event_id_header else {}
    invoice = event["data"]["object"]["id"]
    async with loopback_async_client(timeout=30.0) as http:
        for attempt in range(1, MAX_DELIVERIES + 1):
            try:
                status = (await http.post(endpoint.url, json=event, headers=headers)).status_code
            except httpx.HTTPError as err:
                status = f"error: {err.__class__.__name__}"
            acknowledged = isinstance(status, int) and 200 <= status < 300
            if acknowledged and should_fail("webhook.ack_lost", key=invoice):
                acknowledged = False  # e.g. the answer came after the provider stopped waiting
                status = f"{status}, acknowledgement lost"
            ledger.record(
                "webhook.delivery",
                event=event["id"],
                type=event["type"],
                invoice=invoice,
                attempt=attempt,
                acknowledged=acknowledged,
            )
            print(f"[provider] webhook {event['id']} ({event['type']}), delivery {attempt}: {status}", flush=True)
            if acknowledged:
                return
            await asyncio.sleep(scaled(RETRY_AFTER).total_seconds())


async def deliver_to(url: str, event_id_header: str | None, event: dict[str, Any]) -> None:
    await deliver(WebhookEndpoint(url, event_id_header), event)


def trigger_api(endpoint: WebhookEndpoint):
    """The provider's test API as an ASGI app: `POST /trigger/<event type>` → the event, delivered later."""

    async def app(scope, receive, send) -> None:
        parts = scope["path"].strip("/").split("/")
        if scope["method"] != "POST" or len(parts) != 2 or parts[0] != "trigger":
            await respond_json(send, 404, {"error": "use POST /trigger/<event type> with {invoice, customer}"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        try:
            req = json.loads(body or b"{}")
            event = new_event(parts[1], str(req["invoice"]), str(req["customer"]))
        except (ValueError, KeyError, TypeError):
            expected = 'expected a JSON body like {"invoice": "in_1", "customer": "cus_1"}'
            await respond_json(send, 400, {"error": expected})
            return
        # Webhooks come later, not in this answer, from the world's own process: like a real
        # provider's, they keep coming while the service is down.
        call_later(deliver_to, 0.0, endpoint.url, endpoint.event_id_header, event)
        await respond_json(send, 200, event)

    return app
