"""Payment State Machines: the document's curl lines against `serve`, and the storm's records."""

from __future__ import annotations

import json
import re

import pytest
from conftest import cli

from restate_play.patterns.catalog import get_pattern
from restate_play.waiting import eventually

pytestmark = pytest.mark.e2e


def test_document_curls_end_in_the_documents_state(serve):
    s = serve("payment-state-machines")
    make, cancel = get_pattern("payment-state-machines").curls
    assert s.curl(make) == '"my-payment-id successful: true"'
    assert s.curl(make) == '"my-payment-id previously completed"'
    assert s.curl(cancel) == ""
    env = {"XDG_STATE_HOME": s.env["XDG_STATE_HOME"]}
    state = json.loads(cli("state", "get", "payments", "my-payment-id", "--json", env=env, check=True).stdout)
    assert state["state"] == {"payment": {"accountId": "abc", "amountCents": 100}, "status": "CANCELLED"}
    table = cli("state", "get", "payments", "my-payment-id", env=env, check=True).stdout
    assert re.search(r"Service\s+payments", table) and re.search(r"status\s+│?\s*\"CANCELLED\"", table)
    # The refund is a one-way call: the balance comes back shortly after the cancellation.
    eventually(
        lambda: json.loads(cli("state", "get", "accounts", "abc", "--json", env=env, check=True).stdout)["state"],
        until=lambda state: state == {"balance": 100_000},
        timeout=10,
        interval=0.3,
        what="abc's balance back to 100000 after the refund",
    )
    s.stop()


def test_storm_ends_consistent(default_run):
    code, result = default_run("payment-state-machines")
    assert code == 0, [c for c in result["expectations"] if not c["passed"]]
    storm = [r for r in result["requests"] if r["target"] == "payments/storm/makePayment"]
    charged = [r for r in storm if r["body"] == "storm successful: true"]
    assert len(storm) == 6 and len(charged) <= 1
    # Whatever the order: every withdrawal from abc was followed by its deposit.
    moves = [e["action"] for e in result["ledger"] if e["args"].get("account") == "abc"]
    assert moves.count("account.withdraw") == moves.count("account.deposit") == 1 + len(charged)
    expired = [i for i in result["invocations"] if i["target"] == "payments/my-payment-id/expireToken"]
    assert [i["status"] for i in expired] == ["completed"]
