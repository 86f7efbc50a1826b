"""Payment Signals: the document's (multi-line) curl against `serve`, the webhook as a real HTTP call."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from restate_play.patterns.catalog import get_pattern
from restate_play.waiting import eventually
from restate_play.world import ledger

pytestmark = pytest.mark.e2e


def test_document_curl_waits_for_the_webhook_under_serve(serve):
    s = serve("payment-signals")
    (line,) = get_pattern("payment-signals").curls
    assert line.count("\n") == 4 and '"delayedStatus": true' in line  # verbatim, as the document writes it
    started = time.monotonic()
    out = s.curl(line)
    took = time.monotonic() - started
    assert "code" not in out  # no error: the payment succeeded
    assert took >= 1.0  # serve runs at --time-scale 0.2: the webhook comes 5 s × 0.2 later
    log = s.wait_output("received!")
    assert "still 'processing', awaiting webhook call..." in log and "Webhook call for" in log
    # The provider (the world's own process) records its call once it has the answer, which may be
    # a moment after the payment it unblocked has completed.
    ledger_path = Path(s.sandbox["state_file"]).parent / "ledger.jsonl"
    (webhook,) = eventually(
        lambda: [e for e in ledger.read(ledger_path) if e.action == "stripe.webhook.sent"],
        timeout=10,
        interval=0.05,
        what="stripe.webhook.sent in the ledger",
    )
    assert webhook.args["http_status"] == 200 and webhook.args["type"] == "payment_intent.succeeded"

    # A declined card on the synchronous path fails at once with a terminal error.
    answer = httpx.post(
        f"http://127.0.0.1:{s.ingress}/payments/processPayment",
        json={"paymentMethodId": "pm_card_visa_chargeDeclined", "amount": 109},
        timeout=30,
    )
    assert answer.status_code == 500 and "Payment declined" in answer.json()["message"]
    s.stop()


def test_run_shows_both_paths(default_run):
    code, result = default_run("payment-signals")
    assert code == 0, [c for c in result["expectations"] if not c["passed"]]
    created = [e["args"] for e in result["ledger"] if e["action"] == "stripe.intent.created"]
    assert sorted(a["status"] for a in created) == ["processing", "processing", "requires_payment_method", "succeeded"]
    webhooks = [i for i in result["invocations"] if i["target"] == "payments/processWebhook"]
    assert len(webhooks) == 3  # two from the provider, one forged (refused)
    assert sum(1 for i in webhooks if i["completion_result"] == "success") == 2
    assert result["timings"]["scenario"] < 15


def test_the_webhook_comes_while_the_service_is_down(default_run):
    """The provider is outside the service: killing the service does not stop its webhook.

    It went out while the service was down (Restate's ingress took it), was answered once the
    service was back, and the payment waiting for it completed. With the provider's sender inside
    the service process, the SIGKILL took the webhook with it and the payment waited forever.
    """
    code, result = default_run("payment-signals")
    assert code == 0, [c for c in result["expectations"] if not c["passed"]]
    (crash,) = result["crashes"]
    assert crash["target"] == "service" and crash["of"] == "delayed"
    (webhook,) = [
        e
        for e in result["ledger"]
        if e["action"] == "stripe.webhook.sent" and e["args"]["payment_method"] == "pm_card_visa"
    ]
    # Sent while the service was down; answered once it was back (which is between the start of the
    # restart and its end: the restarted process serves before the restart has resumed invocations).
    assert crash["at"] < webhook["args"]["sent_at"] < crash["restarted_at"]
    assert crash["restart_began_at"] <= webhook["ts"]
    assert webhook["args"]["http_status"] == 200 and webhook["args"]["attempt"] == 1
    # ...and the payment that waited for it completed: the scenario checks it (step "invocation
    # 'delayed' is completed success"), so the run passing says it.
