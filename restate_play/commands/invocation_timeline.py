"""`restate-play invocations timeline <id>`: one invocation's journal on a time axis, against any
Restate (its admin API). Retries come from the journal events; a crash is inferred where Restate
found the service gone (the recorded crash times of a run are in its report, `restate-play report`)."""

from __future__ import annotations

from restate_play.commands.common import print_json, resolve_admin_url, stdout_console
from restate_play.commands.invocations import find_invocation
from restate_play.errors import PlayError
from restate_play.restate import sql as q
from restate_play.restate.sql import SqlClient


def show_timeline(invocation_id: str, admin_url: str | None, as_json: bool) -> None:
    url = resolve_admin_url(admin_url)
    with SqlClient(url) as sql:
        inv = find_invocation(sql, invocation_id, url)
        journal = sql.run(q.journal(inv.id))
        try:
            events = sql.run(q.journal_events(inv.id))
        except PlayError:  # older servers have no sys_journal_events
            events = []
    from restate_play.views.timeline import InvocationTimeline, gone_marks, retries, spans

    if as_json:
        print_json(
            {
                **inv.to_dict(),
                "spans": [s.__dict__ for s in spans(journal)],
                "retries": [r.__dict__ for r in retries(events)],
            }
        )
        return
    stdout_console().print(InvocationTimeline(inv, journal, events, gone_marks(retries(events))))
