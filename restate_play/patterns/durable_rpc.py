"""Durable RPC, Idempotency & Concurrency: a product reservation service and its client app.

`product` is a Virtual Object: requests for one product run one at a time, so two reservations
can never both see the product as free. The client app forwards `POST /reserve/<product>/<id>`
to Restate with the reservation id as idempotency key: a repeated request (a client retry, a
double click) gets the first answer again instead of being processed a second time.
"""

from __future__ import annotations

import os

import restate
from restate import ObjectContext

from restate_play.world.asgi import respond_json, restate_client

RESERVED = "reserved"

product = restate.VirtualObject("product")


@product.handler()
async def reserve(ctx: ObjectContext) -> bool:
    if await ctx.get(RESERVED, type_hint=bool):
        print(f"Product {ctx.key()} already reserved", flush=True)
        return False
    print(f"Reserving product {ctx.key()}", flush=True)
    ctx.set(RESERVED, True)
    return True


services = [product]


# --- the client app (the source document's express_app on port 5000) --------------------------

RESTATE_URL = os.environ.get("RESTATE_INGRESS_URL", "http://127.0.0.1:8080")


async def client_app(scope, receive, send) -> None:
    """POST /reserve/<productId>/<reservationId> → durable RPC to product/<productId>/reserve."""
    parts = scope["path"].strip("/").split("/")
    if scope["method"] != "POST" or len(parts) != 3 or parts[0] != "reserve":
        await respond_json(send, 404, {"error": "use POST /reserve/<productId>/<reservationId>"})
        return
    _, product_id, reservation_id = parts
    answer = await restate_client().post(
        f"{RESTATE_URL}/product/{product_id}/reserve",
        headers={"idempotency-key": reservation_id},
    )
    await respond_json(send, answer.status_code, answer.json())
