"""SQL introspection (`POST /query` on the admin API) as typed records, with 429 back-off."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import httpx

from restate_play.errors import PlayError
from restate_play.loopback_http import loopback_async_client
from restate_play.restate.journal import decode_event, decode_journal
from restate_play.restate.records import Invocation, JournalEntry, JournalEvent, StateEntry

_INVOCATION_COLUMNS = (
    "id, target, target_service_name, target_service_key, target_handler_name, status, created_at, "
    "modified_at, completed_at, retry_count, last_failure, last_failure_error_code, next_retry_at, "
    "completion_result, completion_failure, idempotency_key, invoked_by, invoked_by_id, journal_size, "
    "scheduled_start_at"
)


def sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


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
        for attempt in range(30):
            self.queries += 1
            try:
                resp = await self._http.post(
                    f"{self.admin_url}/query", json={"query": sql}, headers={"accept": "application/json"}
                )
            except httpx.TransportError as err:
                raise PlayError(
                    f"Cannot reach the Restate admin API at {self.admin_url} ({err.__class__.__name__}).",
                    "Is a sandbox running? Start one with `restate-play serve <pattern>`, or pass --admin-url.",
                ) from err
            if resp.status_code == 429:  # the endpoint rate-limits: honour Retry-After
                retry_after = resp.headers.get("retry-after")
                await asyncio.sleep(
                    float(retry_after) if retry_after and retry_after.replace(".", "").isdigit() else delay
                )
                delay = min(delay * 2, 1.0)
                continue
            if resp.status_code >= 500 and attempt < 15:
                # Right after a (re)start the query engine can briefly miss the partition leader
                # ("node lookup for partition 0 failed"): transient, retried.
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.5)
                continue
            if resp.status_code != 200:
                raise PlayError(f"Introspection query failed ({resp.status_code}): {resp.text[:300]}")
            return resp.json().get("rows", [])
        raise PlayError("Introspection kept answering 429 (rate limited); try again in a moment.")

    async def invocations(self, where: str = "", limit: int = 200, order: str = "created_at DESC") -> list[Invocation]:
        clause = f" WHERE {where}" if where else ""
        rows = await self.query(
            f"SELECT {_INVOCATION_COLUMNS} FROM sys_invocation{clause} ORDER BY {order} LIMIT {limit}"
        )
        return [Invocation.from_row(r) for r in rows]

    async def invocation(self, invocation_id: str) -> Invocation | None:
        found = await self.invocations(f"id = {sql_str(invocation_id)}", limit=1)
        return found[0] if found else None

    async def journal(self, invocation_id: str, after_index: int = -1) -> list[JournalEntry]:
        rows = await self.query(
            "SELECT index, entry_type, name, entry_json, entry_lite_json, appended_at FROM sys_journal "
            f"WHERE id = {sql_str(invocation_id)} AND index > {int(after_index)} ORDER BY index"
        )
        return decode_journal(rows)

    async def journal_events(self, invocation_id: str) -> list[JournalEvent]:
        try:
            rows = await self.query(
                "SELECT after_journal_entry_index AS index, event_type, event_json, appended_at "
                f"FROM sys_journal_events WHERE id = {sql_str(invocation_id)} ORDER BY appended_at"
            )
        except PlayError:
            return []
        return [decode_event(r) for r in rows]

    async def state(
        self,
        service: str,
        key: str | None = None,
        limit: int = 500,
        keys: Sequence[str] = (),
        partitions: Sequence[int] = (),
    ) -> list[StateEntry]:
        """The service's K/V state: all of it (up to `limit`), one object `key`, or those in `keys`.

        `partitions`: the keys' partition keys. With them Restate reads the rows directly; without,
        any state query scans the whole table.
        """
        where = f"service_name = {sql_str(service)}"
        if key is not None:
            where += f" AND service_key = {sql_str(key)}"
        if keys:
            where += f" AND service_key IN ({', '.join(sql_str(k) for k in keys)})"
        if partitions:
            where += f" AND partition_key IN ({', '.join(str(int(pk)) for pk in partitions)})"
        rows = await self.query(
            f"SELECT service_name, service_key, key, value_utf8, value FROM state WHERE {where} "
            f"ORDER BY service_key, key LIMIT {int(limit)}"
        )
        return [_state_entry(r) for r in rows]

    async def services(self) -> list[dict[str, Any]]:
        return await self.query("SELECT name, ty, deployment_id FROM sys_service ORDER BY name")


def _state_entry(row: dict[str, Any]) -> StateEntry:
    text = row.get("value_utf8")
    if text is None and row.get("value") is not None:
        raw = bytes.fromhex(row["value"])
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = "0x" + row["value"]
    return StateEntry(row.get("service_name", ""), row.get("service_key", ""), row.get("key", ""), text)
