"""Restate's SQL introspection: the queries, written once, and a small blocking client for lookups.

`Query` pairs a statement with the decoder of its rows. The live view's async client
(`introspection.Introspection`, httpx) and the blocking `SqlClient` here run the same queries.
`SqlClient` is stdlib only (`http.client`): `state get`, `invocations list` and `describe` run as
whole processes in a person's shell, and httpx (with httpcore and, here, trio) costs ~0.3 s to import.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from restate_play.errors import PlayError
from restate_play.restate.records import Invocation, JournalEntry, JournalEvent, StateEntry

T = TypeVar("T")
Row = dict[str, Any]

INVOCATION_COLUMNS = (
    "id, target, target_service_name, target_service_key, target_handler_name, status, created_at, "
    "modified_at, completed_at, retry_count, last_failure, last_failure_error_code, next_retry_at, "
    "completion_result, completion_failure, idempotency_key, invoked_by, invoked_by_id, journal_size, "
    "scheduled_start_at, restarted_from"
)
FULL_ID_LENGTH = len("inv_1dceKvwtEc2n2PVCWAUfChbUtz49Sr19ZJ")  # "inv_" and 34 characters
CANDIDATES = 10  # an ambiguous prefix lists at most this many invocations


def sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class Query(Generic[T]):
    """A statement and the decoder of its rows. A plain class: a generic NamedTuple takes ~2.5 ms to
    build, a good part of a lookup's own import time."""

    __slots__ = ("decode", "sql")

    def __init__(self, sql: str, decode: Callable[[list[Row]], T]) -> None:
        self.sql, self.decode = sql, decode


def invocations(where: str = "", limit: int = 200, order: str = "created_at DESC") -> Query[list[Invocation]]:
    clause = f" WHERE {where}" if where else ""
    return Query(
        f"SELECT {INVOCATION_COLUMNS} FROM sys_invocation{clause} ORDER BY {order} LIMIT {int(limit)}",
        lambda rows: [Invocation.from_row(r) for r in rows],
    )


def invocation(invocation_id: str) -> Query[Invocation | None]:
    many = invocations(f"id = {sql_str(invocation_id)}", limit=1)
    return Query(many.sql, lambda rows: next(iter(many.decode(rows)), None))


def starting_with(prefix: str, limit: int = CANDIDATES + 1) -> Query[list[Invocation]]:
    """Invocations whose id starts with `prefix`, newest first (`_` is a LIKE wildcard: checked again)."""
    pattern = prefix.replace("%", "") + "%"
    many = invocations(f"id LIKE {sql_str(pattern)}", limit=limit)
    return Query(many.sql, lambda rows: [i for i in many.decode(rows) if i.id.startswith(prefix)])


def journal(invocation_id: str, after_index: int = -1) -> Query[list[JournalEntry]]:
    return Query(
        "SELECT index, entry_type, name, entry_json, entry_lite_json, appended_at FROM sys_journal "
        f"WHERE id = {sql_str(invocation_id)} AND index > {int(after_index)} ORDER BY index",
        _decoded_journal,
    )


def journal_events(invocation_id: str) -> Query[list[JournalEvent]]:
    return Query(
        "SELECT after_journal_entry_index AS index, event_type, event_json, appended_at "
        f"FROM sys_journal_events WHERE id = {sql_str(invocation_id)} ORDER BY appended_at",
        _decoded_events,
    )


# The journal's decoders (and datetime) are imported when a journal is read: `state get` and
# `invocations list` never need them.
def _decoded_journal(rows: list[Row]) -> list[JournalEntry]:
    from restate_play.restate.journal import decode_journal

    return decode_journal(rows)


def _decoded_events(rows: list[Row]) -> list[JournalEvent]:
    from restate_play.restate.journal import decode_event

    return [decode_event(r) for r in rows]


def state(
    service: str,
    key: str | None = None,
    limit: int = 500,
    keys: Sequence[str] = (),
    partitions: Sequence[int] = (),
) -> Query[list[StateEntry]]:
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
    return Query(
        f"SELECT service_name, service_key, key, value_utf8, value FROM state WHERE {where} "
        f"ORDER BY service_key, key LIMIT {int(limit)}",
        lambda rows: [state_entry(r) for r in rows],
    )


def services() -> Query[list[Row]]:
    return Query("SELECT name, ty, deployment_id FROM sys_service ORDER BY name", lambda rows: rows)


def object_keys(service: str, limit: int = 20) -> Query[list[str]]:
    """Keys of a service's objects that have state (for "unknown key" errors)."""
    return Query(
        f"SELECT DISTINCT service_key FROM state WHERE service_name = {sql_str(service)} "
        f"ORDER BY service_key LIMIT {int(limit)}",
        lambda rows: [r["service_key"] for r in rows],
    )


def state_entry(row: Row) -> StateEntry:
    text = row.get("value_utf8")
    if text is None and row.get("value") is not None:
        raw = bytes.fromhex(row["value"])
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = "0x" + row["value"]
    return StateEntry(row.get("service_name", ""), row.get("service_key", ""), row.get("key", ""), text)


MAX_ATTEMPTS = 30


def retry_delay(status: int, retry_after: str | None, attempt: int, delay: float) -> float | None:
    """How long to wait before asking again, or None to stop: 429 honours Retry-After; a 5xx is
    retried briefly, as right after a (re)start the query engine can miss the partition leader
    ("node lookup for partition 0 failed")."""
    if status == 429:
        return float(retry_after) if retry_after and retry_after.replace(".", "").isdigit() else delay
    if status >= 500 and attempt < 15:
        return delay
    return None


def unreachable(admin_url: str, reason: str) -> PlayError:
    return PlayError(
        f"Cannot reach the Restate admin API at {admin_url} ({reason}).",
        "Is a sandbox running? Start one with `restate-play serve <pattern>`, or pass --admin-url.",
    )


def failed(status: int, body: str) -> PlayError:
    try:
        body = json.loads(body).get("message", body)
    except (ValueError, AttributeError):
        pass
    return PlayError(f"Introspection query failed ({status}): {body[:300]}")


RATE_LIMITED = "Introspection kept answering 429 (rate limited); try again in a moment."


def _connect(host: str, port: int, timeout: float):
    """A TCP connection made with `_socket`, the C module under `socket`: socket.py adds enums that
    take ~6 ms to build at import, and a str host would load the idna codec (bytes do not)."""
    import _socket

    error: OSError = OSError(f"no address for {host}")
    for family, kind, proto, _, address in _socket.getaddrinfo(host.encode(), port, 0, _socket.SOCK_STREAM):
        conn = _socket.socket(family, kind, proto)  # each address in turn, as socket.create_connection
        conn.settimeout(timeout)
        try:
            conn.connect(address)
            return conn
        except OSError as err:
            conn.close()
            error = err
    raise error


class SqlClient:
    """Blocking queries, stdlib only, for one-shot commands.

    Plain HTTP is spoken as HTTP/1.0 over a socket (`_connect`): one connection per query, the answer is
    whatever comes before the server closes it (no chunked framing), and it needs only `socket`,
    where `http.client` brings `email` and `ssl` (~35 ms of a lookup's start). https goes through
    `http.client`.
    """

    def __init__(self, admin_url: str, timeout: float = 30.0):
        from urllib.parse import urlsplit

        self.admin_url = admin_url.rstrip("/")
        parts = urlsplit(self.admin_url)
        self._host, self._path = parts.hostname or "127.0.0.1", parts.path
        self._https, self._timeout = parts.scheme == "https", timeout
        self._port = parts.port or (443 if self._https else 80)

    def close(self) -> None:
        """Nothing stays open between queries."""

    def __enter__(self) -> SqlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, sql: str) -> tuple[int, str | None, str]:
        body = json.dumps({"query": sql}).encode()
        try:
            return self._https_post(body) if self._https else self._http10_post(body)
        except OSError as err:
            raise unreachable(self.admin_url, err.__class__.__name__) from None
        except ValueError as err:  # not an HTTP answer
            raise unreachable(self.admin_url, str(err)) from None

    def _http10_post(self, body: bytes) -> tuple[int, str | None, str]:
        head = (
            f"POST {self._path}/query HTTP/1.0\r\nHost: {self._host}:{self._port}\r\n"
            f"Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        conn = _connect(self._host, self._port, self._timeout)
        try:
            conn.sendall(head.encode() + body)
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        finally:
            conn.close()
        header, _, answer = b"".join(chunks).partition(b"\r\n\r\n")
        status_line, *lines = header.decode("latin-1").split("\r\n")
        fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        try:
            status = int(status_line.split()[1])
        except (IndexError, ValueError):
            raise ValueError(f"unexpected answer {status_line[:40]!r}") from None
        return status, fields.get("retry-after"), answer.decode("utf-8", "replace")

    def _https_post(self, body: bytes) -> tuple[int, str | None, str]:
        import http.client

        conn = http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout)
        try:
            headers = {"content-type": "application/json", "accept": "application/json"}
            conn.request("POST", f"{self._path}/query", body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.getheader("retry-after"), resp.read().decode("utf-8", "replace")
        except http.client.HTTPException as err:
            raise ValueError(err.__class__.__name__) from None
        finally:
            conn.close()

    def rows(self, sql: str) -> list[Row]:
        delay = 0.05
        for attempt in range(MAX_ATTEMPTS):
            status, retry_after, text = self._post(sql)
            if status == 200:
                return json.loads(text).get("rows", [])
            wait = retry_delay(status, retry_after, attempt, delay)
            if wait is None:
                raise failed(status, text)
            time.sleep(wait)
            delay = min(delay * 2, 1.0 if status == 429 else 0.5)
        raise PlayError(RATE_LIMITED)

    def run(self, query: Query[T]) -> T:
        return query.decode(self.rows(query.sql))
