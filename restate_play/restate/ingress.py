"""The ingress: call, send, delayed send, idempotency keys, attach, awakeables. No fixed timeout."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from restate_play.loopback_http import loopback_async_client

_NO_BODY = object()


@dataclass
class IngressResponse:
    status: int
    text: str
    headers: dict[str, str]
    invocation_id: str | None
    curl: str
    elapsed: float

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.text) if self.text else None
        except json.JSONDecodeError:
            return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "body": self.json if self.json is not None else self.text,
            "invocation_id": self.invocation_id,
            "curl": self.curl,
            "elapsed": round(self.elapsed, 4),
        }


def curl_line(url: str, body: bytes | None, headers: dict[str, str], method: str = "POST") -> str:
    """The equivalent curl command, so every request can be repeated by hand."""
    parts = ["curl"]
    if method != "POST" or body is None:
        parts += ["-X", method]
    parts.append(url.replace("http://127.0.0.1:", "localhost:"))
    for k, v in headers.items():
        parts += ["-H", f"{k}: {v}"]
    if body is not None:
        parts += ["--json", body.decode("utf-8", "replace")]
    return " ".join(shlex.quote(p) if i else p for i, p in enumerate(parts))


class Ingress:
    def __init__(self, ingress_url: str, http: httpx.AsyncClient | None = None):
        self.url = ingress_url.rstrip("/")
        # No fixed timeout: a handler may legitimately run for minutes (sagas, timers, awakeables).
        self._http = http or loopback_async_client(
            timeout=httpx.Timeout(None, connect=5.0), limits=httpx.Limits(max_connections=200)
        )
        self._own = http is None

    @property
    def http(self) -> httpx.AsyncClient:
        return self._http

    async def aclose(self) -> None:
        if self._own:
            await self._http.aclose()

    async def request(
        self,
        path: str,
        body: Any = _NO_BODY,
        *,
        raw_body: bytes | None = None,
        headers: dict[str, str] | None = None,
        method: str = "POST",
        params: dict[str, str] | None = None,
        announce: Callable[[str], None] | None = None,
    ) -> IngressResponse:
        """`announce` gets the equivalent curl line before the request is sent."""
        hdrs = dict(headers or {})
        data: bytes | None = raw_body
        if data is None and body is not _NO_BODY:
            data = json.dumps(body).encode()
        if data is not None:
            hdrs.setdefault("content-type", "application/json")
        url = f"{self.url}/{path.lstrip('/')}"
        full_url = str(httpx.URL(url, params=params)) if params else url
        shown = {k: v for k, v in hdrs.items() if k != "content-type"}
        curl = curl_line(full_url, data, shown, method)
        if announce:
            announce(curl)
        resp = await self._http.request(method, url, content=data, headers=hdrs, params=params)
        return IngressResponse(
            resp.status_code,
            resp.text,
            dict(resp.headers),
            resp.headers.get("x-restate-id") or _id_from(resp),
            curl,
            resp.elapsed.total_seconds(),
        )

    async def call(
        self,
        target: str,
        body: Any = _NO_BODY,
        *,
        idempotency_key: str | None = None,
        headers: dict[str, str] | None = None,
        raw_body: bytes | None = None,
        announce: Callable[[str], None] | None = None,
    ) -> IngressResponse:
        hdrs = dict(headers or {})
        if idempotency_key:
            hdrs["idempotency-key"] = idempotency_key
        return await self.request(target, body, raw_body=raw_body, headers=hdrs, announce=announce)

    async def send(
        self,
        target: str,
        body: Any = _NO_BODY,
        *,
        idempotency_key: str | None = None,
        delay: str | None = None,
        headers: dict[str, str] | None = None,
        raw_body: bytes | None = None,
        announce: Callable[[str], None] | None = None,
    ) -> IngressResponse:
        hdrs = dict(headers or {})
        if idempotency_key:
            hdrs["idempotency-key"] = idempotency_key
        params = {"delay": delay} if delay else None
        return await self.request(
            f"{target.rstrip('/')}/send", body, raw_body=raw_body, headers=hdrs, params=params, announce=announce
        )

    async def attach(self, invocation_id: str, announce: Callable[[str], None] | None = None) -> IngressResponse:
        return await self.request(f"restate/invocation/{invocation_id}/attach", method="GET", announce=announce)

    async def output(self, invocation_id: str) -> IngressResponse:
        return await self.request(f"restate/invocation/{invocation_id}/output", method="GET")

    async def resolve_awakeable(
        self, awakeable_id: str, value: Any, announce: Callable[[str], None] | None = None
    ) -> IngressResponse:
        return await self.request(f"restate/awakeables/{awakeable_id}/resolve", value, announce=announce)

    async def reject_awakeable(self, awakeable_id: str, reason: str) -> IngressResponse:
        return await self.request(
            f"restate/awakeables/{awakeable_id}/reject",
            raw_body=reason.encode(),
            headers={"content-type": "text/plain"},
        )


def _id_from(resp: httpx.Response) -> str | None:
    try:
        data = resp.json()
    except (json.JSONDecodeError, ValueError):
        return None
    return data.get("invocationId") if isinstance(data, dict) else None
