"""`restate-play invocations list|describe|cancel|kill|resume|purge`.

Lookups use the blocking SQL client (`restate.sql`, stdlib only): they run as whole processes in a
person's shell. Every command that takes an invocation id takes a unique prefix of one, as git does.
"""

from __future__ import annotations

from restate_play.commands.common import print_json, resolve_admin_url, stdout_console
from restate_play.errors import PlayError
from restate_play.restate import sql as q
from restate_play.restate.records import Invocation
from restate_play.restate.sql import FULL_ID_LENGTH, SqlClient, sql_str

STATUSES = ("pending", "scheduled", "ready", "running", "backing-off", "suspended", "paused", "completed")
LIST_HINT = "`restate-play invocations list` shows them, with ids cut to unique prefixes you can paste."


def list_invocations(
    service: str | None,
    status: str | None,
    limit: int,
    admin_url: str | None,
    as_json: bool,
    wide: bool = False,
) -> None:
    if status and status not in STATUSES:
        raise PlayError(f"Unknown status '{status}'.", "One of: " + ", ".join(STATUSES))
    clauses = []
    if service:
        clauses.append(f"target_service_name = {sql_str(service)}")
    if status:
        clauses.append(f"status = {sql_str(status)}")
    url = resolve_admin_url(admin_url)
    with SqlClient(url) as sql:
        invocations = sql.run(q.invocations(" AND ".join(clauses), limit=limit))
    if as_json:
        print_json([i.to_dict() for i in invocations])
        return
    from restate_play.views.lookups import invocation_lines
    from restate_play.views.styled import Styled, emit, terminal_width

    if not invocations:
        emit([Styled(f"No invocations (at {url}).", "yellow")])
        return
    emit(invocation_lines(invocations, f"Invocations at {url} (newest first)", terminal_width(), wide))


def pick_invocation(given: str, candidates: list[Invocation], url: str) -> Invocation:
    """The only candidate, or an error that says why there is none or lists the several."""
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise PlayError(f"No invocation {given} at {url}.", LIST_HINT)
    more = " or more" if len(candidates) > q.CANDIDATES else ""
    lines = "\n".join(f"  {i.id}  {i.target}  {i.status}" for i in candidates[: q.CANDIDATES])
    raise PlayError(
        f"'{given}' is ambiguous: {len(candidates[: q.CANDIDATES])}{more} invocations start with it:\n{lines}",
        "Give more characters of the id.",
    )


def find_invocation(sql: SqlClient, given: str, url: str) -> Invocation:
    """The invocation with this id, or the only one whose id starts with it (`inv_` may be left out)."""
    prefix = given.strip()
    if not prefix.startswith("inv_"):
        prefix = "inv_" + prefix
    if len(prefix) >= FULL_ID_LENGTH:  # a whole id: looked up directly (Restate refuses malformed ones)
        found = sql.run(q.invocations(f"id = {sql_str(prefix)}", limit=1)) if _well_formed(prefix) else []
    else:
        found = sql.run(q.starting_with(prefix))
    return pick_invocation(given, found, url)


def _well_formed(invocation_id: str) -> bool:
    return len(invocation_id) == FULL_ID_LENGTH and invocation_id[4:].isalnum()


def load_invocation(invocation_id: str, admin_url: str | None):
    """One invocation (by id or unique prefix) with its journal and its events, from any Restate."""
    url = resolve_admin_url(admin_url)
    with SqlClient(url) as sql:
        inv = find_invocation(sql, invocation_id, url)
        journal = sql.run(q.journal(inv.id))
        try:
            events = sql.run(q.journal_events(inv.id))
        except PlayError:  # older servers have no sys_journal_events
            events = []
    return inv, journal, events


def describe_invocation(invocation_id: str, admin_url: str | None, as_json: bool) -> None:
    inv, journal, events = load_invocation(invocation_id, admin_url)
    if as_json:
        print_json(
            {**inv.to_dict(), "journal": [e.to_dict() for e in journal], "events": [e.to_dict() for e in events]}
        )
        return
    from restate_play.views.journal_text import describe_lines
    from restate_play.views.styled import emit, terminal_width

    emit(describe_lines(inv, journal, events, terminal_width()))


STUCK = ("backing-off", "paused")


def cancel_warning(inv: Invocation) -> str | None:
    """Why a cancel may not land: a failing handler that never reaches an await never sees it."""
    if inv.status not in STUCK and not (inv.status == "running" and inv.retry_count):
        return None
    return (
        f"It is {inv.status} after {inv.retry_count} retries: the cancellation lands at the handler's next await "
        "(a step, a sleep, a call), which a handler that fails before one may never reach. "
        f"`restate-play invocations kill {inv.id}` stops it now (no compensations run)."
    )


def control_invocation(invocation_id: str, action: str, admin_url: str | None) -> None:
    import asyncio

    from restate_play.restate.admin import Admin

    url = resolve_admin_url(admin_url)
    with SqlClient(url) as sql:
        inv = find_invocation(sql, invocation_id, url)

    async def act() -> int:
        admin = Admin(url)
        try:
            return await admin.invocation_action(inv.id, action)
        finally:
            await admin.aclose()

    code = asyncio.run(act())
    if code >= 300:
        raise PlayError(
            f"{action} of {inv.id} was refused ({code}).",
            "A completed invocation cannot be cancelled or killed (409).",
        )
    out = stdout_console()
    out.print(f"{action}: {inv.id} {inv.target} ({code})")
    warning = cancel_warning(inv) if action == "cancel" else None
    if warning:
        out.print(f"warning: {warning}", style="yellow")
