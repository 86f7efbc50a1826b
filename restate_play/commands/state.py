"""`restate-play state get|set`."""

from __future__ import annotations

import asyncio
import json

from restate_play.commands.common import print_json, resolve_admin_url, stdout_console
from restate_play.errors import PlayError
from restate_play.restate.admin import Admin
from restate_play.restate.introspection import Introspection
from restate_play.views.tables import kv_table


async def _read(admin_url: str, service: str, key: str):
    sql = Introspection(admin_url)
    try:
        return await sql.state(service, key)
    finally:
        await sql.aclose()


def get_state(service: str, key: str, admin_url: str | None, as_json: bool) -> None:
    url = resolve_admin_url(admin_url)
    entries = asyncio.run(_read(url, service, key))
    if as_json:
        print_json({"service": service, "key": key, "state": {e.name: e.to_dict()["value"] for e in entries}})
        return
    out = stdout_console()
    if not entries:
        out.print(f"No state for {service}/{key} (at {url}).", style="yellow")
        return
    out.print(kv_table(service, key, entries))


def set_state(service: str, key: str, name: str, value: str, admin_url: str | None) -> None:
    try:
        json.loads(value)
    except json.JSONDecodeError as err:
        raise PlayError(
            f"The value {value!r} is not JSON ({err.msg}).",
            "State values are JSON, as the SDK's default serde reads them: quote strings, e.g. '\"UP\"'.",
        ) from None
    url = resolve_admin_url(admin_url)

    async def apply() -> None:
        current = {e.name: e.value for e in await _read(url, service, key)}
        new_state = {k: (v or "").encode() for k, v in current.items() if not (v or "").startswith("0x")}
        new_state[name] = value.encode()
        admin = Admin(url)
        try:
            await admin.set_state(service, key, new_state)
        finally:
            await admin.aclose()

    asyncio.run(apply())
    stdout_console().print(f"{service}/{key}: {name} = {value}")
