"""`restate-play state get|set`.

`get` reads with the blocking SQL client (`restate.sql`, stdlib only): it runs as a whole process.
"""

from __future__ import annotations

import json

from restate_play.commands.common import print_json, resolve_admin_url, stdout_console
from restate_play.errors import PlayError
from restate_play.restate import sql as q
from restate_play.restate.records import StateEntry
from restate_play.restate.sql import SqlClient

SHOWN = 20  # an error lists at most this many services or keys


def _listed(names: list[str]) -> str:
    more = ", …" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


def unknown_object(sql: SqlClient, url: str, service: str, key: str) -> PlayError:
    """Why there is no state: no such service, a service without state, or no such key (which exist)."""
    services = sql.run(q.services())
    kinds = {s["name"]: s.get("ty") for s in services}
    if service not in kinds:
        known = _listed(sorted(kinds)) or "none (is the deployment registered?)"
        return PlayError(f"No service '{service}' at {url}.", f"Services there: {known}.")
    if kinds[service] == "service":
        return PlayError(
            f"'{service}' is a plain Service: it has no K/V state.",
            "State belongs to Virtual Objects and Workflows: "
            + (_listed(sorted(n for n, t in kinds.items() if t != "service")) or "there are none here."),
        )
    keys = sql.run(q.object_keys(service, SHOWN + 1))
    if not keys:
        return PlayError(f"No object of {service} has state yet (at {url}).", "Call one of its handlers first.")
    return PlayError(f"No state for {service}/{key} (at {url}).", f"Keys of {service} with state: {_listed(keys)}.")


def read_state(url: str, service: str, key: str) -> list[StateEntry]:
    with SqlClient(url) as sql:
        entries = sql.run(q.state(service, key))
        if not entries:
            raise unknown_object(sql, url, service, key)
    return entries


def get_state(service: str, key: str, admin_url: str | None, as_json: bool, wide: bool = False) -> None:
    url = resolve_admin_url(admin_url)
    entries = read_state(url, service, key)
    if as_json:
        print_json({"service": service, "key": key, "state": {e.name: e.to_dict()["value"] for e in entries}})
        return
    from restate_play.views.lookups import kv_lines
    from restate_play.views.styled import emit, terminal_width

    emit(kv_lines(service, key, entries, terminal_width(), wide=wide))


def set_state(service: str, key: str, name: str, value: str, admin_url: str | None) -> None:
    import asyncio

    from restate_play.restate.admin import Admin

    try:
        json.loads(value)
    except json.JSONDecodeError as err:
        raise PlayError(
            f"The value {value!r} is not JSON ({err.msg}).",
            "State values are JSON, as the SDK's default serde reads them: quote strings, e.g. '\"UP\"'.",
        ) from None
    url = resolve_admin_url(admin_url)
    with SqlClient(url) as sql:
        current = {e.name: e.value for e in sql.run(q.state(service, key))}
    new_state = {k: (v or "").encode() for k, v in current.items() if not (v or "").startswith("0x")}
    new_state[name] = value.encode()

    async def apply() -> None:
        admin = Admin(url)
        try:
            await admin.set_state(service, key, new_state)
        finally:
            await admin.aclose()

    asyncio.run(apply())
    stdout_console().print(f"{service}/{key}: {name} = {value}")
