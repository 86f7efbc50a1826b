"""An invocation's status in a word and a colour (the lookups, the live view and describe share it)."""

from __future__ import annotations

from restate_play.restate.records import Invocation
from restate_play.views.styled import Styled

STATUS_STYLE = {
    "completed": "green",
    "running": "yellow",
    "backing-off": "red",
    "paused": "red",
    "suspended": "cyan",
    "scheduled": "magenta",
    "pending": "blue",
    "ready": "blue",
    "inboxed": "blue",
}


def status_text(inv: Invocation) -> Styled:
    text = Styled(inv.status, style=STATUS_STYLE.get(inv.status, "white"))
    if inv.status == "completed" and inv.completion_result == "failure":
        text = Styled("failed", style="red bold")
    if inv.retry_count:
        text.append(f" ↻{inv.retry_count}", style="red")
    return text
