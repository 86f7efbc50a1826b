"""Polls a running Restate for what the live view shows, with bounded queries.

A refresh asks only about invocations it knows of and that are not finished yet (a point lookup
by id: the run reports the ids of its requests, and calls found in journals add their callees),
only for journal entries after the last index seen, and only for ledger lines appended since last
time. Every few refreshes, in the background and taking turns, a sweep looks for invocations it
could not know of (Kafka records, client apps, timers), and the state of the object keys seen
invoked is read (point lookups, by each key's partition key). The sweep is the one query that
scans a table, so the one that grows with history: it runs at a fraction of the refresh rate,
and no frame waits for it.

When every invocation worth showing is reported by id (a storm: each answer carries its
x-restate-id), `sweep_every=None` drops the sweep.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from restate_play.errors import PlayError
from restate_play.restate.introspection import Introspection, sql_str
from restate_play.restate.journal import mark_completed
from restate_play.restate.records import Invocation, JournalEntry, StateEntry
from restate_play.world.ledger import LedgerEntry, LedgerTail

MAX_SHOWN = 12
MAX_STATE = 40  # state entries shown, of as many recently invoked object keys at most


@dataclass
class LiveModel:
    title: str = ""
    invocations: dict[str, Invocation] = field(default_factory=dict)
    journals: dict[str, list[JournalEntry]] = field(default_factory=dict)
    state: list[StateEntry] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)
    service_log: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    refreshes: int = 0
    last_refresh_ms: float = 0.0
    server_up: bool = True
    render_cache: dict[str, Any] = field(default_factory=dict)  # the dashboard's unchanged panels

    def shown_invocations(self) -> list[Invocation]:
        return sorted(self.invocations.values(), key=lambda i: i.created_at or "")[-MAX_SHOWN:]


class Observer:
    def __init__(
        self,
        sql: Introspection,
        services: tuple[str, ...],
        ledger_path: Path,
        model: LiveModel,
        log_tail=None,
        ledger_keep: int = 200,
        sweep_every: int | None = 5,
    ):
        self.sql = sql
        self.services = services
        self.model = model
        self.ledger = LedgerTail(ledger_path)
        self.log_tail = log_tail
        self.ledger_keep = ledger_keep
        self.sweep_every = sweep_every
        self._since: str | None = None
        self._scanning: asyncio.Task | None = None  # a sweep or a state read, beside the refreshes
        self._keys: dict[tuple[str, str], str] = {}  # (service, object key) → an invocation of it, newest last
        self._partitions: dict[tuple[str, str], int] = {}  # (service, object key) → its partition key
        self._tracked: dict[str, None] = {}  # ids to follow (ordered, newest last), until they finish
        self._final: set[str] = set()  # completed invocations whose journal is complete

    def track(self, invocation_id: str | None) -> None:
        """Follow this invocation (e.g. the id a response carried in x-restate-id)."""
        if invocation_id and invocation_id not in self._final:
            self._tracked[invocation_id] = None

    async def refresh(self) -> None:
        t0 = time.perf_counter()
        # The two scanning queries (the invocation sweep, the state) take turns, half a cycle apart,
        # so no single refresh pays for both.
        every = self.sweep_every or 5  # None: never a sweep; the state is still read at this pace
        phase = self.model.refreshes % every
        sweep = phase == 0 and self.sweep_every is not None
        read_state = phase == every // 2 or every == 1
        started = datetime.now(UTC) - timedelta(seconds=1)  # overlap, so clock skew never drops a change
        try:
            if not self.model.refreshes:  # the first refresh fills the view
                if sweep:
                    await self._sweep(started)
                self.model.state = await self._state()
            elif (sweep or read_state) and (self._scanning is None or self._scanning.done()):
                # Both scan tables that grow with history: they run beside the refreshes, one at a
                # time, and what they find is shown once they are done, so no frame waits for them.
                scan = self._sweep(started) if sweep else self._read_state()
                self._scanning = asyncio.create_task(self._in_background(scan))
            await self._follow()
            await self._journals()
            self.model.server_up = True
        except PlayError:
            self.model.server_up = False  # e.g. while the server is being restarted
        self.model.ledger = (self.model.ledger + self.ledger.new_entries())[-self.ledger_keep :]
        if self.log_tail is not None:
            self.model.service_log = self.log_tail(12)
        self.model.refreshes += 1
        self.model.last_refresh_ms = (time.perf_counter() - t0) * 1000

    def _show(self, invocations: list[Invocation]) -> None:
        for inv in invocations:
            self.model.invocations[inv.id] = inv
            if inv.done:
                self._tracked.pop(inv.id, None)
            elif inv.id not in self._final:
                self._tracked[inv.id] = None
            if inv.key is not None and inv.service in self.services:
                self._keys.pop((inv.service, inv.key), None)  # newest last
                self._keys[(inv.service, inv.key)] = inv.id
        while len(self._keys) > MAX_STATE:  # the state panel shows the most recently invoked keys
            oldest = next(iter(self._keys))
            del self._keys[oldest]
            self._partitions.pop(oldest, None)
        # Keep the model bounded: only the most recent invocations stay shown.
        if len(self.model.invocations) > MAX_SHOWN:
            keep = {i.id for i in self.model.shown_invocations()}
            for inv_id in list(self.model.invocations):
                if inv_id not in keep:
                    self.model.invocations.pop(inv_id, None)
                    self.model.journals.pop(inv_id, None)
                    self._tracked.pop(inv_id, None)
                    self._final.discard(inv_id)

    async def close(self) -> None:
        """Stop a scan still under way (the view is going away)."""
        if self._scanning is not None and not self._scanning.done():
            self._scanning.cancel()
            await asyncio.gather(self._scanning, return_exceptions=True)

    @staticmethod
    async def _in_background(scan: Coroutine[Any, Any, None]) -> None:
        try:
            await scan
        except PlayError:
            pass  # the server is down: the refreshes say so; the next scan catches up

    async def _read_state(self) -> None:
        self.model.state = await self._state()

    async def _sweep(self, started: datetime) -> None:
        # The scan reads ids only, from sys_invocation_status (not the sys_invocation view, which
        # joins more tables): ~40% cheaper at 10,000 retained. Rows are fetched by id for the new ones.
        services = ", ".join(sql_str(s) for s in self.services) or "''"
        where = f"target_service_name IN ({services})"
        if self._since:
            where += f" AND modified_at >= '{self._since}'"
        rows = await self.sql.query(
            f"SELECT id FROM sys_invocation_status WHERE {where} ORDER BY modified_at DESC LIMIT {MAX_SHOWN * 4}"
        )
        known = self.model.invocations.keys() | self._tracked.keys()  # the tracked are followed anyway
        unknown = [r["id"] for r in rows if r["id"] not in known]
        if unknown:
            ids = ", ".join(sql_str(i) for i in unknown)
            self._show(await self.sql.invocations(f"id IN ({ids})", limit=len(unknown)))
        # Only once its finds are shown: a sweep that failed half way is repeated from the same point.
        self._since = started.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    async def _follow(self) -> None:
        ids = [i for i in self._tracked if i not in self._final][-MAX_SHOWN * 4 :]
        if ids:
            self._show(await self.sql.invocations(f"id IN ({', '.join(sql_str(i) for i in ids)})", limit=len(ids)))

    async def _journals(self) -> None:
        async def one(inv: Invocation) -> None:
            if inv.id in self._final:
                return
            known = self.model.journals.get(inv.id, [])
            last = known[-1].index if known else -1
            new = await self.sql.journal(inv.id, after_index=last)
            if new:
                self.model.journals[inv.id] = mark_completed(known + new)
                for entry in new:  # calls and sends start invocations we can follow by id
                    self.track(entry.detail.get("invocation_id"))
            if inv.done:
                self._final.add(inv.id)
                self._tracked.pop(inv.id, None)

        await asyncio.gather(*(one(inv) for inv in self.model.shown_invocations()))

    async def _state(self) -> list[StateEntry]:
        """The state of the object keys the view has seen invoked (state only changes through them).

        With each key's partition key, Restate reads the rows directly (~1 ms at any history);
        without it, a state query scans the whole table (~10 ms at 9,000 keys, growing).
        """
        keys = list(self._keys)
        unknown = [self._keys[k] for k in keys if k not in self._partitions]
        if unknown:
            ids = ", ".join(sql_str(i) for i in unknown)
            for row in await self.sql.query(
                "SELECT partition_key, target_service_name, target_service_key FROM sys_invocation_status "
                f"WHERE id IN ({ids})"
            ):
                self._partitions[(row["target_service_name"], row["target_service_key"])] = int(row["partition_key"])
        by_service: dict[str, list[tuple[str, int]]] = {}
        for service, key in keys:
            if (service, key) in self._partitions:
                by_service.setdefault(service, []).append((key, self._partitions[(service, key)]))
        out: list[StateEntry] = []
        for service, pairs in by_service.items():
            out += await self.sql.state(
                service, keys=[k for k, _ in pairs], partitions=[pk for _, pk in pairs], limit=MAX_STATE
            )
        return out[-MAX_STATE:]

    async def run(self, interval: float = 0.25) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(interval)
