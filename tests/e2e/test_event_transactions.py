"""Transactional Event Processing: its default scenario (exactly once despite a crash), the document's
curl and console-producer flow against `serve`, and records on a topic nobody subscribed to.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from conftest import REPO, pid_gone, run_json
from kafka_checks import assert_clean, serve_kafka

from restate_play.patterns.catalog import get_pattern

pytestmark = pytest.mark.e2e

POSTS = [
    'userid1:{"content": "Hi! This is my first post!", "metadata": "public"}',
    'userid2:{"content": "Hi! This is my first post!", "metadata": "public"}',
    'userid1:{"content": "Hi! This is my second post!", "metadata": "public"}',
]


def test_event_transactions_scenario(restate_binary, isolated_state):
    code, result = run_json("run", "event-transactions")
    failed = [c for c in result["expectations"] if not c["passed"]]
    assert code == 0 and result["passed"], f"failed: {failed}, error: {result['error']}"
    published = [r for r in result["requests"] if r["kind"] == "publish"]
    assert [(r["key"], r["offset"]) for r in published] == [("userid1", 0), ("userid2", 1), ("userid1", 2)]
    ledger = result["ledger"]
    # Exactly once despite the crash: three posts created, three feed updates, userid1's in order.
    assert [e["args"]["content"] for e in ledger if e["action"] == "post.created"].count(
        "Hi! This is my first post!"
    ) == 2
    assert len([e for e in ledger if e["action"] == "post.created"]) == 3
    feed = [e["args"] for e in ledger if e["action"] == "feed.updated"]
    assert [(f["user"], f["position"]) for f in feed if f["user"] == "userid1"] == [("userid1", 1), ("userid1", 2)]
    assert feed[0]["user"] == "userid2"  # not held up by userid1's slow moderation
    assert any(inv["target"] == "userFeed/userid1/processPost" for inv in result["invocations"])
    assert_clean(result)


def test_event_transactions_document_flow_under_serve(serve, monkeypatch):
    s, kafka = serve_kafka(serve, monkeypatch, "event-transactions")
    (subscribe,) = get_pattern("event-transactions").curls
    assert json.loads(s.curl(subscribe))["sink"] == "service://userFeed/processPost"
    env = {"XDG_STATE_HOME": s.env["XDG_STATE_HOME"]}
    # The console-producer way: key:json lines on stdin.
    proc = subprocess.run(
        [sys.executable, "-m", "restate_play", "kafka", "publish", "social-media-posts"],
        input="\n".join(POSTS) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        env={**s.env, **env},
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    assert "userid2 → social-media-posts partition 0 offset 1" in proc.stdout
    log = s.wait_output("Updating the user feed for user userid2", timeout=90)
    assert "Updating the user feed for user userid2" in log
    # Users go in parallel: userid1's first post may be created after userid2's feed is updated.
    created = "for user userid1 with content: Hi! This is my first post!"
    log = s.wait_output(created, timeout=30)
    assert re.search(r"^│ Created post [0-9a-f-]{36} " + re.escape(created) + "$", log, re.M), log[-3000:]
    s.stop()
    assert pid_gone(kafka["pid"])


def test_records_nobody_subscribed_to_fail_their_checks_cleanly(restate_binary, isolated_state, tmp_path):
    """A labelled record on a topic without a subscription: failed checks that say why, not a crash."""
    path = tmp_path / "lost.toml"
    path.write_text(
        '[[step]]\npublish = "nobody-listens"\nrecords = [\'k:{"a": 1}\']\nas = ["lost"]\n'
        '[[step]]\nwait_for = "lost"\ntimeout = 1\n'
    )
    code, result = run_json("run", "event-transactions", "--scenario", str(path))
    assert code == 1 and result["error"] is None
    subscription, completes = result["expectations"]
    assert not subscription["passed"] and "0 subscription(s)" in subscription["detail"]
    assert not completes["passed"] and "nothing was started" in completes["detail"]
