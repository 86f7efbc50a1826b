"""The plumbing the small HTTP apps share (the patterns' client apps, the emulated payment
provider's test API): answering a request with JSON in plain ASGI, and the client apps' client
for Restate's ingress."""

from __future__ import annotations

import functools
import json
from typing import Any

import httpx


@functools.cache
def restate_client() -> httpx.AsyncClient:
    """The client apps' one connection pool to Restate's ingress, made on first use.

    Like the documents' apps, which connect to Restate once: a new httpx client per request would
    load the certificate store again (~23 ms of CPU) and open a new connection each time. No
    timeout on answers: a handler may rightly take minutes.
    """
    return httpx.AsyncClient(timeout=httpx.Timeout(None, connect=5.0))


async def respond_json(send: Any, status: int, body: object) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
