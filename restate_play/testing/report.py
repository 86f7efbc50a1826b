"""What a failed test's report adds: this test's invocations with their journals, and the service log."""

from __future__ import annotations

from restate_play.testing.fixture import Restate

MAX_INVOCATIONS = 8
LOG_LINES = 40


def failure_sections(restate: Restate) -> list[tuple[str, str]]:
    """(title, text) sections for pytest's report; what cannot be read any more is said, not raised."""
    try:
        journals = _journals(restate)
    except Exception as err:  # noqa: BLE001 - the report must never hide the test's own failure
        journals = f"(could not read the invocations: {type(err).__name__}: {err})"
    log = "\n".join(restate.service_log(LOG_LINES)) or "(nothing logged during this test)"
    return [("restate: invocations of this test", journals), ("restate: service log (end)", log)]


def _journals(restate: Restate) -> str:
    invocations = restate.invocations()
    if not invocations:
        return "(no invocations: did the request reach the ingress?)"
    shown = invocations[-MAX_INVOCATIONS:]
    parts = [f"{len(invocations) - len(shown)} older invocations not shown"] if len(shown) < len(invocations) else []
    for inv in shown:
        text = str(restate.journal(inv.id))
        parts.append(text if inv.done else f"{text}\n  {restate.describe(inv.id)}")
    return "\n\n".join(parts)
