"""`restate-play invocations resume|restart`: fix forward on a paused invocation, or start a
completed one again from a journal entry (restart-as-new), with a dry run that names the traps.

Works against any Restate (--admin-url). Restate's refusals become messages that say what to do.
"""

from __future__ import annotations

import time
from pathlib import Path

from restate_play.commands.common import print_json, resolve_admin_url, stdout_console
from restate_play.commands.invocations import find_invocation
from restate_play.errors import PlayError
from restate_play.restate import sql as q
from restate_play.restate.records import Invocation
from restate_play.restate.restart_plan import RestartPlan, entry_index, plan
from restate_play.restate.sql import SqlClient

RESUMABLE = ("paused", "suspended", "backing-off", "running")
NOT_STARTED = ("pending", "scheduled", "ready", "inboxed")


def admin_call(url: str, call):
    """One admin API call from a blocking command (asyncio and httpx are imported only then)."""
    import asyncio

    from restate_play.restate.admin import Admin

    async def act():
        admin = Admin(url)
        try:
            return await call(admin)
        finally:
            await admin.aclose()

    return asyncio.run(act())


def check_deployment(url: str, deployment: str | None) -> None:
    """'latest', 'keep' or the id of a registered deployment; anything else is refused before Restate sees it."""
    if deployment is None or deployment.lower() in ("latest", "keep"):
        return
    known = admin_call(url, lambda admin: admin.deployments())
    ids = [d.get("id", "") for d in known]
    if deployment not in ids:
        listing = ", ".join(f"{d.get('id')} ({d.get('uri') or d.get('arn') or '?'})" for d in known) or "none"
        raise PlayError(
            f"Unknown deployment '{deployment}' at {url}.",
            f"Use --deployment latest (the newest), keep, or one of: {listing}.",
        )


def resume_refused(inv: Invocation, code: int, message: str, deployment: str | None) -> PlayError:
    if inv.status == "completed" or "completed" in message:
        return PlayError(
            f"{inv.id} is completed: there is nothing to resume ({message}).",
            f"`restate-play invocations restart {inv.id} --from <step>` starts a new one from a step.",
        )
    if inv.status in NOT_STARTED or code == 425:
        return PlayError(f"{inv.id} is {inv.status}: it has not started, so it cannot be resumed yet ({message}).")
    if code == 409 and deployment:
        return PlayError(
            f"{inv.id} is {inv.status}: Restate changes the deployment only of a paused or suspended invocation "
            f"({message}).",
            "Resume without --deployment to retry it now on its own deployment, or wait until it pauses.",
        )
    return PlayError(f"Resuming {inv.id} was refused ({code}): {message}")


def resume(url: str, inv: Invocation, deployment: str | None) -> None:
    """Resume it (on `deployment`), or a PlayError that says why Restate would not and what to do."""
    check_deployment(url, deployment)
    if inv.status not in RESUMABLE:
        raise resume_refused(inv, 409, inv.status, deployment)
    code, message = admin_call(url, lambda admin: admin.resume(inv.id, deployment))
    if code >= 300:
        raise resume_refused(inv, code, message, deployment)


def resume_invocation(invocation_id: str, deployment: str | None, admin_url: str | None, as_json: bool) -> None:
    url = resolve_admin_url(admin_url)
    with SqlClient(url) as sql:
        inv = find_invocation(sql, invocation_id, url)
    resume(url, inv, deployment)
    on = f" on deployment {deployment}" if deployment else " on its own deployment"
    if as_json:
        print_json({"resumed": inv.id, "status_before": inv.status, "deployment": deployment or "pinned"})
        return
    stdout_console().print(f"resumed: {inv.id} {inv.target} (was {inv.status}){on}")


def restart_refused(inv: Invocation, code: int, message: str) -> PlayError:
    if inv.status != "completed":
        return PlayError(
            f"{inv.id} is {inv.status}: restart-as-new starts again from a completed invocation only.",
            "Let it finish, `restate-play invocations cancel` it, or resume it on fixed code: "
            f"`restate-play invocations resume {inv.id} --deployment latest`.",
        )
    if code == 410:
        return PlayError(
            f"{inv.id} kept no journal, so its input cannot be read again ({message}).",
            "Restate keeps journals after completion only with journal retention (the service's journal_retention).",
        )
    if code == 422:
        return PlayError(f"Restate cannot restart {inv.id} ({message}).", "Workflows cannot be restarted as new.")
    return PlayError(f"Restarting {inv.id} was refused ({code}): {message}")


def ledger_of(url: str) -> list:
    """The world ledger of the sandbox at this admin URL (a running serve or run), if it is on this machine."""
    from restate_play.sandbox import registry
    from restate_play.world import ledger

    for record in registry.records():
        if record.admin_url == url.rstrip("/"):
            return ledger.read(Path(record.data_dir) / "ledger.jsonl")
    return []


def restart_plan_for(sql: SqlClient, url: str, invocation_id: str, start_from: str) -> tuple[Invocation, RestartPlan]:
    inv = find_invocation(sql, invocation_id, url)
    if inv.status != "completed":
        raise restart_refused(inv, 409, inv.status)
    journal = sql.run(q.journal(inv.id))
    if not journal:
        raise restart_refused(inv, 410, "its journal is empty")
    return inv, plan(inv.id, journal, entry_index(journal, start_from), ledger_of(url))


def restart_invocation(
    invocation_id: str,
    start_from: str,
    deployment: str | None,
    dry_run: bool,
    attach: bool,
    admin_url: str | None,
    as_json: bool,
    timeout: float = 60.0,
) -> None:
    from restate_play.views.restart import restart_plan_view

    url = resolve_admin_url(admin_url)
    with SqlClient(url) as sql:
        inv, the_plan = restart_plan_for(sql, url, invocation_id, start_from)
        if dry_run:
            _show(the_plan, None, as_json)
            return
        check_deployment(url, deployment)
        code, answer = admin_call(url, lambda a: a.restart_as_new(inv.id, the_plan.restate_from, deployment))
        if code >= 300:
            raise restart_refused(inv, code, answer)
        new_id = answer
        if not attach:
            _show(the_plan, new_id, as_json)
            return
        new = wait_completed(sql, new_id, timeout)
        journal = sql.run(q.journal(new_id))
    if as_json:
        print_json(
            {
                **the_plan.to_dict(),
                "new_invocation_id": new_id,
                "new": new.to_dict(),
                "journal": [e.to_dict() for e in journal],
            }
        )
        return
    from restate_play.views.journal_text import describe_lines
    from restate_play.views.styled import emit

    out = stdout_console()
    out.print(restart_plan_view(the_plan, new_id))
    out.file.flush()
    emit(describe_lines(new, journal, [], out.width))
    kept = ", ".join(f"#{s.index}" for s in the_plan.kept) or "none"
    out.print(f"Kept from {inv.id} (not run again): {kept}.")


def _show(the_plan: RestartPlan, new_id: str | None, as_json: bool) -> None:
    from restate_play.views.restart import restart_plan_view

    if as_json:
        print_json({**the_plan.to_dict(), "dry_run": new_id is None, "new_invocation_id": new_id})
        return
    stdout_console().print(restart_plan_view(the_plan, new_id))


def wait_completed(sql: SqlClient, invocation_id: str, timeout: float) -> Invocation:
    """--attach: poll until the new invocation completes (bounded), backing off to spare the rate limit."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        inv = sql.run(q.invocation(invocation_id))
        if inv is not None and inv.done:
            return inv
        if time.monotonic() > deadline:
            status = inv.status if inv else "not visible yet"
            raise PlayError(
                f"{invocation_id} did not complete within {timeout:g} s (it is {status}).",
                f"`restate-play invocations describe {invocation_id}` shows where it is.",
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


RESUME_PAUSED_ENV = "RESTATE_PLAY_RESUME_PAUSED"  # set by `serve --watch --resume-paused`


def paused_of(sql: SqlClient, services: tuple[str, ...]) -> list[Invocation]:
    if not services:
        return []
    names = ", ".join(q.sql_str(s) for s in services)
    return sql.run(q.invocations(f"status = 'paused' AND target_service_name IN ({names})", limit=50))


def offer_resume(out, admin_url: str, services: tuple[str, ...]) -> None:
    """After a save re-deployed the code (`serve --watch`): the invocations still paused on the old
    code, resumed on the new deployment (with --resume-paused), or the command that does it."""
    import os

    from rich.text import Text

    resume = os.environ.get(RESUME_PAUSED_ENV) == "1"
    with SqlClient(admin_url) as sql:
        paused = paused_of(sql, services)
    for inv in paused:
        if not resume:
            line = f"⏸ {inv.id} {inv.target} is paused: restate-play invocations resume {inv.id} --deployment latest"
            out.print(Text(line, style="yellow"), soft_wrap=True)
            continue
        code, message = admin_call(admin_url, lambda admin, i=inv.id: admin.resume(i, "latest"))
        words = "resumed on the new deployment" if code < 300 else f"not resumed ({code}): {message}"
        out.print(Text(f"▶ {inv.id} {inv.target}: {words}", style="green" if code < 300 else "red"), soft_wrap=True)
    if paused and not resume:
        out.print(Text("(serve --watch --resume-paused resumes them after every save.)", style="dim"))
