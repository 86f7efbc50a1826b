"""(Delayed) Message Queue: the task submitter's requests against `serve`, and the run's records."""

from __future__ import annotations

import json
import time

import pytest

from restate_play.patterns.catalog import get_pattern

pytestmark = pytest.mark.e2e


def test_message_queue_curls_against_serve(serve):
    s = serve("message-queue")
    send, send_again, attach, delayed = get_pattern("message-queue").curls
    first = json.loads(s.curl(send))
    again = json.loads(s.curl(send_again))
    assert first["status"] == "Accepted"
    assert again == {**again, "status": "PreviouslyAccepted", "invocationId": first["invocationId"]}
    assert json.loads(s.curl(attach)) == "Work!"

    sent_at = time.monotonic()
    assert json.loads(s.curl(delayed))["status"] == "Accepted"
    out = s.wait_output("Running task task-2", timeout=30)
    assert "Running task task-2" in out and time.monotonic() - sent_at >= 9.5  # the 10 s delay held
    assert out.count("Running task task-1") == 1  # submitted twice, ran once
    s.stop()


def test_message_queue_run_records(default_run):
    code, result = default_run("message-queue")
    assert code == 0, [c for c in result["expectations"] if not c["passed"]]
    sends = [r for r in result["requests"] if r["kind"] == "send"]
    assert [r["body"]["status"] for r in sends] == ["Accepted", "PreviouslyAccepted", "Accepted"]
    assert sends[0]["invocation_id"] == sends[1]["invocation_id"] != sends[2]["invocation_id"]
    runs = {e["args"]["id"]: e for e in result["ledger"] if e["action"] == "task.run"}
    assert sorted(runs) == ["task-1", "task-2"] and len(result["ledger"]) == 2
    delayed = next(r for r in result["requests"] if r["kind"] == "send" and r["label"] == "task-2")
    assert runs["task-2"]["invocation"] == delayed["invocation_id"]
