"""`restate-play invocations timeline <id>`: one invocation's journal on a time axis, against any
Restate (its admin API). Retries come from the journal events; a crash is inferred where Restate
found the service gone (the recorded crash times of a run are in its report, `restate-play report`)."""

from __future__ import annotations

from restate_play.commands.common import print_json, stdout_console
from restate_play.commands.invocations import load_invocation


def show_timeline(invocation_id: str, admin_url: str | None, as_json: bool) -> None:
    inv, journal, events = load_invocation(invocation_id, admin_url)
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
