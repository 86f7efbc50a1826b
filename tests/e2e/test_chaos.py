"""Chaos runs with fixed seeds: invariants hold under SIGKILLs, and a broken client is caught."""

from __future__ import annotations

import pytest
from conftest import cli, pid_gone, run_json

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    "slug",
    [
        "durable-rpc",
        "sagas",
        "stateful-actors",
        "payment-state-machines",
        "batching",
        "event-transactions",
        "event-enrichment",
    ],
)
def test_invariants_hold_under_kills(slug, restate_binary, isolated_state):
    code, report = run_json(
        "chaos", slug, "--requests", "120", "--kills", "4", "--seed", "7", "--concurrency", "12", timeout=300
    )
    failed = [c for c in report["invariants"] if not c["passed"]]
    assert code == 0 and report["passed"], failed
    assert report["completed"] == report["requests"] == 120
    assert len(report["kills"]) == 4 and {k["target"] for k in report["kills"]} <= {"service", "server"}
    # Each planned kill landed: a live process was SIGKILLed while work was in flight (requests, or for
    # Kafka records the invocations Restate was running), and came back.
    assert report["kills_planned"] == report["kills_landed"] == 4 and not report["kills_not_reached"]
    for kill in report["kills"]:
        assert kill["landed"] and kill["hit_work"] and kill["pid"] != kill["new_pid"], kill
    assert pid_gone(report["sandbox"]["server"]["pid"]) and pid_gone(report["sandbox"]["service"]["pid"])


def test_same_seed_same_kill_points(restate_binary, isolated_state):
    runs = [run_json("chaos", "durable-rpc", "--requests", "60", "--kills", "3", "--seed", "11")[1] for _ in range(2)]
    assert [k["target"] for k in runs[0]["kills"]] == [k["target"] for k in runs[1]["kills"]]
    assert [k["at_request"] for k in runs[0]["kills"]] == [k["at_request"] for k in runs[1]["kills"]]


def test_without_idempotency_keys_a_violation_is_reported(restate_binary, isolated_state):
    code, report = run_json(
        "chaos", "durable-rpc", "--requests", "80", "--kills", "2", "--seed", "7", "--no-idempotency", timeout=300
    )
    assert code == 1 and not report["passed"]
    violated = {c["description"].split("]")[0].strip("[") for c in report["invariants"] if not c["passed"]}
    assert "winner-repeats-get-true" in violated
    # The violation explains itself: which reservation, which requests, which invocations answered.
    (broken,) = [c for c in report["invariants"] if c["description"].startswith("[winner-repeats-get-true]")]
    assert broken["anomalies"] >= 1 and broken["explanation"]
    for sentence in broken["explanation"]:
        assert sentence.startswith("reservation ") and sentence.count("request #") == 2, sentence
        assert sentence.count(" from inv_") == 2 and "no idempotency key" in sentence, sentence


def test_pattern_without_chaos_traffic_is_a_clear_error(isolated_state):
    proc = cli("chaos", "sync-to-async")
    assert proc.returncode == 2 and "no chaos traffic" in proc.stderr and "durable-rpc" in proc.stderr
