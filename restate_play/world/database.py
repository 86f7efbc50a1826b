"""A small PostgreSQL client for the Database patterns: real queries, each change in the ledger.

The database is real (the sandbox starts one and sets DATABASE_URL). What this module adds is
bookkeeping, outside Restate's control like every world module: each statement that changed rows is
appended to the ledger once PostgreSQL has committed it (`db.update`, `db.insert`, `db.delete`, with
the table, the number of rows and the statement's named parameters), and prepared transactions show
as `db.prepare` / `db.commit_prepared` / `db.rollback_prepared`. Reads show as `db.select`.

Fault points make the demos' crashes deterministic: each kills the whole process (like a power cut)
at the worst moment for the handler, i.e. after the database did its part and before Restate could
journal it. They are keyed by the row's user id, e.g. `"db.crash.after_update:B" = 1`:
  db.crash.after_update           right after a commit that updated the user's row (also
                                  db.crash.after_insert, db.crash.after_delete)
  db.crash.after_prepare          right after PREPARE TRANSACTION
  db.crash.before_commit_prepared right before COMMIT PREPARED
  db.crash.after_commit_prepared  right after COMMIT PREPARED
Latency points (`[world.latency]`) `db.select` and `db.update` slow a statement down.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql as pgsql
from psycopg.rows import dict_row

from restate_play.world import ledger
from restate_play.world.faults import latency, should_fail

DEFAULT_URL = "postgresql://restatedb:restatedb@localhost:5432/exampledb"  # the document's database
UNDEFINED_OBJECT = "42704"  # SQLSTATE of "prepared transaction ... does not exist"

_TABLE_RE = re.compile(r"\b(?:INTO|UPDATE|FROM)\s+([A-Za-z_][\w.]*)", re.IGNORECASE)


def database_url() -> str:
    return os.environ.get("DATABASE_URL", DEFAULT_URL)


async def connect(autocommit: bool = True) -> psycopg.AsyncConnection:
    return await psycopg.AsyncConnection.connect(database_url(), autocommit=autocommit, row_factory=dict_row)


def plain(value: Any) -> Any:
    """JSON-friendly values: PostgreSQL's numeric comes back as Decimal."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def _verb(query: str) -> str:
    return query.split(None, 1)[0].lower()


def _key(params: Mapping[str, Any] | None) -> str | None:
    for name, value in (params or {}).items():
        if name.lower() == "userid":
            return str(value)
    return None


def _record(query: str, params: Mapping[str, Any] | None, rows: int, **extra: Any) -> None:
    table = _TABLE_RE.search(query)
    ledger.record(
        f"db.{_verb(query)}",
        table=table.group(1) if table else None,
        rows=rows,
        **{k: plain(v) for k, v in (params or {}).items()},
        **extra,
    )


def crash_point(point: str, key: str | None) -> None:
    """Die here if the scenario says so: no cleanup, no goodbye to Restate, like a real crash."""
    if should_fail(point, key):
        print(f"[👻 SIMULATED] {point} ({key}): --- CRASHING THE PROCESS ---", flush=True)
        os._exit(1)


async def _slow(point: str, key: str | None) -> None:
    await asyncio.to_thread(latency, point, key)


async def query(text: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """A read in its own connection; rows as dicts with JSON-friendly values."""
    await _slow("db.select", _key(params))
    async with await connect() as conn:
        cur = await conn.execute(text, params)
        rows = [plain(row) for row in await cur.fetchall()]
    _record(text, params, len(rows))
    return rows


async def execute(text: str, params: Mapping[str, Any] | None = None) -> int:
    """One statement, committed on its own (autocommit); returns the number of rows it changed."""
    await _slow(f"db.{_verb(text)}", _key(params))
    async with await connect() as conn:
        cur = await conn.execute(text, params)
        count = cur.rowcount
    _record(text, params, count)
    crash_point(f"db.crash.after_{_verb(text)}", _key(params))
    return count


class Transaction:
    """Statements on one connection, committed together (or prepared for a later commit)."""

    def __init__(self, conn: psycopg.AsyncConnection):
        self.conn = conn
        self.done = False
        self._changes: list[tuple[str, Mapping[str, Any] | None, int]] = []
        self._key: str | None = None

    async def execute(self, text: str, params: Mapping[str, Any] | None = None) -> int:
        await _slow(f"db.{_verb(text)}", _key(params))
        cur = await self.conn.execute(text, params)
        self._key = self._key or _key(params)
        self._changes.append((text, params, cur.rowcount))
        return cur.rowcount

    async def query(self, text: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        cur = await self.conn.execute(text, params)
        return [plain(row) for row in await cur.fetchall()]

    async def commit(self) -> None:
        await self.conn.commit()
        self.done = True
        for text, params, rows in self._changes:
            _record(text, params, rows)
        for verb in dict.fromkeys(_verb(text) for text, _, _ in self._changes):
            crash_point(f"db.crash.after_{verb}", self._key)

    async def rollback(self) -> None:
        if not self.done:
            await self.conn.rollback()
            self.done = True
            ledger.record("db.rollback", statements=len(self._changes), userid=self._key)

    async def prepare(self, gid: str) -> None:
        """PREPARE TRANSACTION: the changes survive this connection, until COMMIT/ROLLBACK PREPARED."""
        await self.conn.execute(pgsql.SQL("PREPARE TRANSACTION {}").format(pgsql.Literal(gid)))
        self.done = True
        ledger.record("db.prepare", gid=gid, statements=len(self._changes), userid=self._key)
        crash_point("db.crash.after_prepare", self._key)


@asynccontextmanager
async def transaction(isolation: str | None = None) -> AsyncIterator[Transaction]:
    """`async with transaction("serializable") as tx:` — rolled back unless committed or prepared inside."""
    conn = await connect(autocommit=False)
    try:
        if isolation is not None:
            await conn.set_isolation_level(psycopg.IsolationLevel[isolation.upper().replace(" ", "_")])
        tx = Transaction(conn)
        try:
            yield tx
        finally:
            if not tx.done:
                await tx.rollback()
    finally:
        await conn.close()


async def commit_prepared(gid: str, key: str | None = None) -> bool:
    """COMMIT PREPARED; False when no prepared transaction has that id (any more)."""
    crash_point("db.crash.before_commit_prepared", key)
    found = await _finish_prepared("COMMIT PREPARED", gid)
    ledger.record("db.commit_prepared", gid=gid, found=found, userid=key)
    if found:
        crash_point("db.crash.after_commit_prepared", key)
    return found


async def rollback_prepared(gid: str, key: str | None = None) -> bool:
    """ROLLBACK PREPARED; False when no prepared transaction has that id (never prepared, or gone)."""
    found = await _finish_prepared("ROLLBACK PREPARED", gid)
    ledger.record("db.rollback_prepared", gid=gid, found=found, userid=key)
    return found


async def _finish_prepared(command: str, gid: str) -> bool:
    async with await connect() as conn:
        try:
            await conn.execute(pgsql.SQL(command + " {}").format(pgsql.Literal(gid)))
        except psycopg.Error as err:
            if err.sqlstate == UNDEFINED_OBJECT:
                return False
            raise
    return True


async def transaction_status(xid: str) -> str | None:
    """'committed', 'aborted' or 'in progress' for a transaction id, from PostgreSQL's commit log."""
    async with await connect() as conn:
        cur = await conn.execute("SELECT pg_xact_status(%s::xid8) AS status", (xid,))
        row = await cur.fetchone()
    return row["status"] if row else None
