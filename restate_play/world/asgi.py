"""The one piece of plumbing the small HTTP apps share (the patterns' client apps, the emulated
payment provider's test API): answering a request with JSON, in plain ASGI."""

from __future__ import annotations

import json
from typing import Any


async def respond_json(send: Any, status: int, body: object) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
