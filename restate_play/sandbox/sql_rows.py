"""One SQL statement against a pattern's PostgreSQL, for `restate-play db sql` and scenario steps.

Each call uses its own short autocommit connection: a failing statement is reported as an error
and leaves nothing behind (no open transaction, no lock), whatever else uses the database.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from restate_play.errors import PlayError


@dataclass
class SqlResult:
    columns: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    status: str = ""  # PostgreSQL's command tag, e.g. "SELECT 2", "UPDATE 1"

    def to_dict(self) -> dict[str, Any]:
        return {"columns": self.columns, "rows": self.rows, "status": self.status}


class SqlError(PlayError):
    """The database refused the statement (syntax, unknown table, constraint…)."""


def json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | dt.timedelta):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return "0x" + bytes(value).hex()
    return value


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    except ValueError:
        return url


def run_sql(url: str, query: str, timeout: float = 10.0) -> SqlResult:
    import psycopg

    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.Error as err:
        raise PlayError(
            f"Cannot reach the database at {redact(url)}: {str(err).strip().splitlines()[-1]}",
            "Is `restate-play serve database` running? Or give an existing one with --database-url.",
        ) from None
    try:
        with conn:
            conn.execute(f"SET statement_timeout = {int(timeout * 1000)}")
            cur = conn.execute(query)
            columns = [c.name for c in cur.description or []]
            rows = [dict(zip(columns, map(json_value, r), strict=True)) for r in cur.fetchall()] if columns else []
            return SqlResult(columns, rows, cur.statusmessage or "")
    except psycopg.Error as err:
        state = f" [{err.sqlstate}]" if err.sqlstate else ""
        raise SqlError(f"SQL error{state}: {str(err).strip()}") from None


def fetch_rows(url: str, query: str) -> list[dict[str, Any]]:
    return run_sql(url, query).rows


def text_table(rows: list[dict[str, Any]], max_width: int = 40) -> list[str]:
    """Rows as aligned plain-text lines (header first), for narration and check details."""
    if not rows:
        return []
    columns = list(rows[0])

    def cell(v: Any) -> str:
        s = "NULL" if v is None else str(v)
        return s if len(s) <= max_width else s[: max_width - 1] + "…"

    widths = {c: max(len(c), *(len(cell(r.get(c))) for r in rows)) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns).rstrip()]
    lines += ["  ".join(cell(r.get(c)).ljust(widths[c]) for c in columns).rstrip() for r in rows]
    return lines
