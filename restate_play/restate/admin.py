"""The admin API: deployments, invocation control, state edits, subscriptions."""

from __future__ import annotations

from typing import Any

import httpx

from restate_play.errors import PlayError
from restate_play.loopback_http import loopback_async_client


class Admin:
    def __init__(self, admin_url: str, http: httpx.AsyncClient | None = None):
        self.url = admin_url.rstrip("/")
        self._http = http or loopback_async_client(timeout=30.0)
        self._own = http is None

    async def aclose(self) -> None:
        if self._own:
            await self._http.aclose()

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._http.request(method, f"{self.url}{path}", **kwargs)
        except httpx.TransportError as err:
            raise PlayError(
                f"Cannot reach the Restate admin API at {self.url}.",
                "Start a sandbox with `restate-play serve <pattern>`, or pass --admin-url.",
            ) from err

    async def health(self) -> bool:
        try:
            return (await self._http.get(f"{self.url}/health")).status_code == 200
        except httpx.TransportError:
            return False

    async def register(self, uri: str) -> dict[str, Any]:
        resp = await self._request("POST", "/deployments", json={"uri": uri, "force": True})
        if resp.status_code not in (200, 201):
            raise PlayError(f"Registering {uri} failed ({resp.status_code}): {resp.text[:300]}")
        return resp.json()

    async def invocation_action(self, invocation_id: str, action: str) -> int:
        """cancel | kill | purge | pause | resume | restart-as-new → HTTP status."""
        resp = await self._request("PATCH", f"/invocations/{invocation_id}/{action}")
        if resp.status_code == 404:
            raise PlayError(f"No invocation {invocation_id}.")
        return resp.status_code

    async def resume(self, invocation_id: str, deployment: str | None = None) -> tuple[int, str]:
        """Resume a paused, suspended or backing-off invocation, optionally on another deployment
        ('latest', 'keep' or a dp_… id) → (HTTP status, Restate's message)."""
        params = {"deployment": deployment} if deployment else {}
        resp = await self._request("PATCH", f"/invocations/{invocation_id}/resume", params=params)
        return resp.status_code, _message(resp)

    async def restart_as_new(
        self, invocation_id: str, keep_through: int, deployment: str | None = None
    ) -> tuple[int, str]:
        """A new invocation from a completed one, keeping journal entries 0…keep_through (Restate's
        `from`) → (HTTP status, the new invocation id on success, else Restate's message)."""
        params: dict[str, str | int] = {"from": keep_through}
        if deployment:
            params["deployment"] = deployment
        resp = await self._request("PATCH", f"/invocations/{invocation_id}/restart-as-new", params=params)
        if resp.status_code == 200:
            return 200, resp.json().get("new_invocation_id", "")
        return resp.status_code, _message(resp)

    async def deployments(self) -> list[dict[str, Any]]:
        resp = await self._request("GET", "/deployments")
        if resp.status_code >= 300:
            raise PlayError(f"Listing deployments failed ({resp.status_code}): {resp.text[:300]}")
        return resp.json().get("deployments", [])

    async def set_state(self, service: str, key: str, new_state: dict[str, bytes]) -> None:
        body = {"object_key": key, "new_state": {k: list(v) for k, v in new_state.items()}}
        resp = await self._request("POST", f"/services/{service}/state", json=body)
        if resp.status_code >= 300:
            raise PlayError(f"Setting state of {service}/{key} failed ({resp.status_code}): {resp.text[:300]}")

    async def create_subscription(self, source: str, sink: str, options: dict[str, str] | None = None) -> dict:
        resp = await self._request(
            "POST", "/subscriptions", json={"source": source, "sink": sink, "options": options or {}}
        )
        if resp.status_code >= 300:
            raise PlayError(f"Creating subscription {source} → {sink} failed ({resp.status_code}): {resp.text[:300]}")
        return resp.json()


def _message(resp: httpx.Response) -> str:
    try:
        return str(resp.json().get("message", resp.text))
    except ValueError:
        return resp.text[:300]
