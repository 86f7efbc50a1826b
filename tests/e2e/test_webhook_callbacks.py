"""Webhook Callbacks: the provider's trigger and a hand-made duplicate delivery against `serve`."""

from __future__ import annotations

import json

import pytest
from conftest import cli

from restate_play.patterns.catalog import get_pattern
from restate_play.waiting import eventually

pytestmark = pytest.mark.e2e


def _tracker_state(env: dict[str, str], invoice: str) -> dict:
    return json.loads(cli("state", "get", "PaymentTracker", invoice, "--json", env=env, check=True).stdout)["state"]


def test_webhook_callbacks_curls_against_serve(serve):
    s = serve("webhook-callbacks")
    trigger, delivery, duplicate = get_pattern("webhook-callbacks").curls
    event = json.loads(s.curl(trigger))
    assert event["type"] == "invoice.payment_failed" and event["id"].startswith("evt_")
    out = s.wait_output(f"[provider] webhook {event['id']} (invoice.payment_failed), delivery 1: 200")
    assert "Sending email to 'cus_42': Payment for invoice in_1001 failed" in s.wait_output("Sending email")

    # The same event twice, by hand: both acknowledged, processed once.
    assert s.curl(delivery) == s.curl(duplicate) == ""
    env = {"XDG_STATE_HOME": s.env["XDG_STATE_HOME"]}
    state = eventually(
        lambda: _tracker_state(env, "in_1001"),
        until=lambda state: state.get("status") == "paid",
        timeout=20,
        interval=0.3,
        what="in_1001 paid",
    )
    assert state == {"failures": 1, "status": "paid"}
    listing = json.loads(cli("invocations", "list", "--json", env=env, check=True).stdout)
    routed = [i for i in listing if i["target"] == "WebhookCallbackRouter/onStripeEvent"]
    assert len(routed) == 2  # the provider's event, and evt_1 once
    assert "delivery 2" not in out
    s.stop()


def test_webhook_callbacks_run_records(default_run):
    code, result = default_run("webhook-callbacks")
    assert code == 0, [c for c in result["expectations"] if not c["passed"]]
    deliveries = [e["args"] for e in result["ledger"] if e["action"] == "webhook.delivery"]
    failed = [d for d in deliveries if d["type"] == "invoice.payment_failed"]
    # One event delivered twice (same event id), first acknowledgement lost.
    assert [d["attempt"] for d in failed] == [1, 2] and len({d["event"] for d in failed}) == 1
    assert [d["acknowledged"] for d in failed] == [False, True]
    emails = [e for e in result["ledger"] if e["action"] == "email.sent"]
    assert len(emails) == 1 and emails[0]["invocation"]
