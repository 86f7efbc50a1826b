"""`restate-play invocations list|describe|cancel|kill|resume|purge`."""

from __future__ import annotations

import asyncio

from rich.text import Text

from restate_play.commands.common import print_json, resolve_admin_url, stdout_console
from restate_play.errors import PlayError
from restate_play.restate.admin import Admin
from restate_play.restate.introspection import Introspection, sql_str
from restate_play.views.journal import journal_tree
from restate_play.views.tables import invocation_table

STATUSES = ("pending", "scheduled", "ready", "running", "backing-off", "suspended", "paused", "completed")


def list_invocations(service: str | None, status: str | None, limit: int, admin_url: str | None, as_json: bool) -> None:
    if status and status not in STATUSES:
        raise PlayError(f"Unknown status '{status}'.", "One of: " + ", ".join(STATUSES))
    clauses = []
    if service:
        clauses.append(f"target_service_name = {sql_str(service)}")
    if status:
        clauses.append(f"status = {sql_str(status)}")
    url = resolve_admin_url(admin_url)

    async def fetch():
        sql = Introspection(url)
        try:
            return await sql.invocations(" AND ".join(clauses), limit=limit)
        finally:
            await sql.aclose()

    invocations = asyncio.run(fetch())
    if as_json:
        print_json([i.to_dict() for i in invocations])
        return
    out = stdout_console()
    if not invocations:
        out.print(f"No invocations (at {url}).", style="yellow")
        return
    out.print(invocation_table(invocations, title=f"Invocations at {url} (newest first)"))


def describe_invocation(invocation_id: str, admin_url: str | None, as_json: bool) -> None:
    url = resolve_admin_url(admin_url)

    async def fetch():
        sql = Introspection(url)
        try:
            inv = await sql.invocation(invocation_id)
            if inv is None:
                raise PlayError(
                    f"No invocation {invocation_id} at {url}.", "List them with `restate-play invocations list`."
                )
            return inv, await sql.journal(invocation_id), await sql.journal_events(invocation_id)
        finally:
            await sql.aclose()

    inv, journal, events = asyncio.run(fetch())
    if as_json:
        print_json(
            {**inv.to_dict(), "journal": [e.to_dict() for e in journal], "events": [e.to_dict() for e in events]}
        )
        return
    out = stdout_console()
    out.print(journal_tree(inv, journal))
    details = [f"created {inv.created_at}", f"invoked by {inv.invoked_by or '?'}"]
    if inv.idempotency_key:
        details.append(f"idempotency key {inv.idempotency_key}")
    if inv.retry_count:
        details.append(f"retries {inv.retry_count}")
    out.print(Text(" · ".join(details), style="dim"))
    for ev in events:
        out.print(Text(f"event #{ev.index} {ev.type} at {ev.appended_at}: {ev.detail}", style="yellow"))


def control_invocation(invocation_id: str, action: str, admin_url: str | None) -> None:
    url = resolve_admin_url(admin_url)

    async def act() -> int:
        admin = Admin(url)
        try:
            return await admin.invocation_action(invocation_id, action)
        finally:
            await admin.aclose()

    code = asyncio.run(act())
    if code >= 300:
        raise PlayError(
            f"{action} of {invocation_id} was refused ({code}).",
            "A completed invocation cannot be cancelled or killed (409).",
        )
    stdout_console().print(f"{action}: {invocation_id} ({code})")
