"""Scheduling Tasks: the document's webhook events against `serve`, and the reminder loop's records."""

from __future__ import annotations

import json

import pytest
from conftest import cli

from restate_play.patterns.catalog import get_pattern

pytestmark = pytest.mark.e2e


def test_document_curls_remind_then_mark_paid(serve):
    s = serve("scheduling-tasks")
    failure, success = get_pattern("scheduling-tasks").curls
    assert s.curl(failure) == ""  # the handler returns nothing
    log = s.wait_output("Sending reminder email for event: evt_1JH2Y4F2eZvKYlo2C8b9")
    assert "Sending reminder email for event: evt_1JH2Y4F2eZvKYlo2C8b9" in log
    assert s.curl(success) == ""
    env = {"XDG_STATE_HOME": s.env["XDG_STATE_HOME"]}
    state = json.loads(cli("state", "get", "PaymentTracker", "invoice123", "--json", env=env, check=True).stdout)
    assert state["state"] == {"paid": True, "reminders_count": 1}
    # The next reminder is a durable timer in Restate: a day away (here 4.8 h at --time-scale 0.2).
    listing = json.loads(cli("invocations", "list", "--json", env=env, check=True).stdout)
    assert [i["status"] for i in listing if i["target"] == "PaymentTracker/invoice123/onPaymentFailure"].count(
        "scheduled"
    ) == 1
    s.stop()


def test_run_shows_the_documents_log_order(default_run):
    code, result = default_run("scheduling-tasks")
    assert code == 0, [c for c in result["expectations"] if not c["passed"]]
    by_invoice: dict[str, list[tuple[str, float]]] = {}
    for entry in result["ledger"]:
        by_invoice.setdefault(entry["args"].get("invoice"), []).append((entry["action"], entry["ts"]))
    actions = [a for a, _ in by_invoice["invoice123"]]
    assert actions == ["email.reminder"] * 3 + ["support.escalated"]
    # A durable timer between reminders: about a pinned second apart, never all at once.
    times = [t for _, t in by_invoice["invoice123"]]
    assert all(later - earlier > 0.8 for earlier, later in zip(times, times[1:], strict=False))
    assert [a for a, _ in by_invoice["invoice456"]] == ["email.reminder"] * 2
