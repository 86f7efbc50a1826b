"""SQL introspection (`POST /query` on the admin API) as typed records, with 429 back-off.

The async client of the live view and the scenario runner; the queries themselves are in `sql`,
shared with the blocking client the one-shot lookups use.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, TypeVar

import httpx

from restate_play.errors import PlayError
from restate_play.loopback_http import loopback_async_client
from restate_play.restate import sql as q
from restate_play.restate.records import Invocation, JournalEntry, JournalEvent, StateEntry
from restate_play.restate.sql import sql_str

__all__ = ["Introspection", "sql_str"]
T = TypeVar("T")


class Introspection:
    def __init__(self, admin_url: str, http: httpx.AsyncClient | None = None):
        self.admin_url = admin_url.rstrip("/")
        self._http = http or loopback_async_client(timeout=30.0)
        self._own = http is None
        self.queries = 0  # how many queries this client sent (the live view's cost)

    async def aclose(self) -> None:
        if self._own:
            await self._http.aclose()

    async def query(self, sql: str) -> list[dict[str, Any]]:
        delay = 0.05
        for attempt in range(q.MAX_ATTEMPTS):
            self.queries += 1
            try:
                resp = await self._http.post(
                    f"{self.admin_url}/query", json={"query": sql}, headers={"accept": "application/json"}
                )
            except httpx.TransportError as err:
                raise q.unreachable(self.admin_url, err.__class__.__name__) from err
            if resp.status_code == 200:
                return resp.json().get("rows", [])
            wait = q.retry_delay(resp.status_code, resp.headers.get("retry-after"), attempt, delay)
            if wait is None:
                raise q.failed(resp.status_code, resp.text)
            await asyncio.sleep(wait)
            delay = min(delay * 2, 1.0 if resp.status_code == 429 else 0.5)
        raise PlayError(q.RATE_LIMITED)

    async def run(self, query: q.Query[T]) -> T:
        return query.decode(await self.query(query.sql))

    async def invocations(self, where: str = "", limit: int = 200, order: str = "created_at DESC") -> list[Invocation]:
        return await self.run(q.invocations(where, limit, order))

    async def invocation(self, invocation_id: str) -> Invocation | None:
        return await self.run(q.invocation(invocation_id))

    async def journal(self, invocation_id: str, after_index: int = -1) -> list[JournalEntry]:
        return await self.run(q.journal(invocation_id, after_index))

    async def journal_events(self, invocation_id: str) -> list[JournalEvent]:
        try:
            return await self.run(q.journal_events(invocation_id))
        except PlayError:
            return []

    async def state(
        self,
        service: str,
        key: str | None = None,
        limit: int = 500,
        keys: Sequence[str] = (),
        partitions: Sequence[int] = (),
    ) -> list[StateEntry]:
        """The service's K/V state (see `sql.state`)."""
        return await self.run(q.state(service, key, limit, keys, partitions))

    async def services(self) -> list[dict[str, Any]]:
        return await self.run(q.services())
