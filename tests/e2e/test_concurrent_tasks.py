"""Concurrent Async Tasks: the Java document's curl line against `serve`, and the run's records."""

from __future__ import annotations

import re
import threading

import pytest

from restate_play.patterns.catalog import get_pattern

pytestmark = pytest.mark.e2e

CLICK = re.compile(r"Verify by clicking: (curl http://localhost:\d+/restate/awakeables/\S+/resolve --json 'true')")


def test_document_curl_waits_for_the_click_from_the_log(serve):
    s = serve("concurrent-tasks")
    (line,) = get_pattern("concurrent-tasks").curls
    answer: list[str] = []
    caller = threading.Thread(target=lambda: answer.append(s.curl(line)))
    caller.start()
    # --time-scale 0.2: a reminder every 2 s; the call stays open until the link is clicked.
    log = s.wait_output("Sending reminder to me@mail.com", timeout=20)
    assert "Sending email to me@mail.com" in log and "Sending reminder to me@mail.com" in log
    assert caller.is_alive() and not answer
    clicks = CLICK.findall(log)
    assert clicks and len(set(clicks)) == 1  # every mail carries the same link
    s.curl(clicks[-1])
    caller.join(timeout=20)
    assert answer == ['"Email verified"']
    s.stop()


def test_run_records_the_race(default_run):
    code, result = default_run("concurrent-tasks")
    assert code == 0, [c for c in result["expectations"] if not c["passed"]]
    by_user = {inv["completion_result"]: inv for inv in result["invocations"]}
    verified, expired = by_user["success"], by_user["failure"]
    assert "Verification timed out" in expired["completion_failure"]
    for inv in (verified, expired):
        names = [e["name"] for e in inv["journal"] if e["kind"] == "Command" and e["type"] in ("Run", "Sleep")]
        assert names[:3] == ["send email", "verification timeout", "reminder"]
    reminders = [e["args"]["to"] for e in result["ledger"] if e["action"] == "email.reminder"]
    assert reminders.count("me@mail.com") >= 2 and reminders.count("leia@mail.com") == 4
    assert any("/resolve" in r["target"] and r["status"] == 202 for r in result["requests"])
