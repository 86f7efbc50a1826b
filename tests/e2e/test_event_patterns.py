"""The Kafka patterns end to end: a real Tansu broker, a real restate-server, the CLI.

Transactional Event Processing and Event Enrichment: their default scenarios, the documents'
curl lines against `serve`, `kafka publish/tail/topics`, and broker + Restate data as one unit.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import REPO, cli, pid_gone, run_json

from restate_play.patterns.catalog import get_pattern
from restate_play.sandbox.kafka import KafkaBroker
from restate_play.sandbox.kafka_client import publish_lines
from restate_play.sandbox.ports import free_ports, port_in_use
from restate_play.sandbox.sandbox import Sandbox, SandboxOptions

pytestmark = pytest.mark.e2e

POSTS = [
    'userid1:{"content": "Hi! This is my first post!", "metadata": "public"}',
    'userid2:{"content": "Hi! This is my first post!", "metadata": "public"}',
    'userid1:{"content": "Hi! This is my second post!", "metadata": "public"}',
]
LOCATIONS = [
    'package123:{"timestamp": "2024-10-10 13:00", "location": "Pinetree Road 5, Paris"}',
    'package123:{"timestamp": "2024-10-10 14:00", "location": "Mountain Road 155, Brussels"}',
]


def assert_clean(result: dict) -> None:
    sb = result["sandbox"]
    kafka = sb["components"]["kafka"]
    assert pid_gone(sb["server"]["pid"]) and pid_gone(sb["service"]["pid"]) and pid_gone(kafka["pid"])
    for port in (sb["server"]["ingress"], sb["server"]["admin"], sb["service"]["port"], kafka["port"]):
        assert not port_in_use(port), f"port {port} still bound"


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


def test_event_enrichment_scenario(restate_binary, isolated_state):
    code, result = run_json("run", "event-enrichment")
    failed = [c for c in result["expectations"] if not c["passed"]]
    assert code == 0 and result["passed"], f"failed: {failed}, error: {result['error']}"
    state = {(s["key"], s["name"]): s["value"] for s in result["state"]}
    info = state[("package123", "package-info")]
    assert info["finalDestination"] == "Bridge 6, Amsterdam"
    assert [loc["location"] for loc in info["locations"]] == ["Pinetree Road 5, Paris", "Mountain Road 155, Brussels"]
    assert ("package999", "package-info") not in state
    assert_clean(result)


def test_scenario_fails_when_records_are_processed_twice(restate_binary, isolated_state, tmp_path):
    """The checks are real: publishing a location twice must break the enrichment expectations."""
    scenario = (REPO / "scenarios" / "event-enrichment.toml").read_text()
    doubled = scenario.replace(
        '  \'package123:{"timestamp": "2024-10-10 14:00", "location": "Mountain Road 155, Brussels"}\',\n',
        '  \'package123:{"timestamp": "2024-10-10 14:00", "location": "Mountain Road 155, Brussels"}\',\n' * 2,
    )
    assert doubled != scenario
    # An expectation polls until it holds or its timeout (10 s): these are meant to fail, so wait less.
    doubled = "[[step]]".join(
        "\ntimeout = 2" + part if "expect_state" in part or "expect_invocations" in part else part
        for part in doubled.split("[[step]]")
    )
    path = tmp_path / "doubled.toml"
    path.write_text(doubled)
    code, result = run_json("run", "event-enrichment", "--scenario", str(path))
    assert code == 1 and not result["passed"]
    failed = {c["description"].split(":")[0] for c in result["expectations"] if not c["passed"]}
    assert any("package123" in d for d in failed), failed


def _serve_kafka(serve, monkeypatch, slug: str):
    (kafka_port,) = free_ports(1)
    monkeypatch.setenv("RESTATE_PLAY_KAFKA_PORT", str(kafka_port))
    s = serve(slug)
    kafka = json.loads(Path(s.sandbox["state_file"]).read_text())["components"]["kafka"]
    assert kafka["port"] == kafka_port and kafka["subscriptions"] == []  # step 5 is the user's
    assert "Restate is not subscribed yet" in s.output()
    return s, kafka


def _wait(predicate, timeout: float = 30.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def test_event_enrichment_document_flow_under_serve(serve, monkeypatch):
    s, kafka = _serve_kafka(serve, monkeypatch, "event-enrichment")
    subscribe, register, query = get_pattern("event-enrichment").curls
    created = json.loads(s.curl(subscribe))
    assert created["sink"] == "service://package-tracker/updateLocation" and created["id"].startswith("sub_")
    assert s.curl(register) == ""  # registerPackage returns nothing, as in the document
    env = {"XDG_STATE_HOME": s.env["XDG_STATE_HOME"]}
    # `kafka publish` finds the serve's broker by itself and reports partition and offset.
    pub = cli("kafka", "publish", "package-location-updates", *LOCATIONS, "--json", env=env, check=True)
    assert [(r["key"], r["partition"], r["offset"]) for r in json.loads(pub.stdout)] == [
        ("package123", 0, 0),
        ("package123", 0, 1),
    ]
    info = _wait(lambda: (i := json.loads(s.curl(query) or "null")) and len(i.get("locations", [])) == 2 and i)
    assert info == {
        "finalDestination": "Bridge 6, Amsterdam",
        "locations": [
            {"timestamp": "2024-10-10 13:00", "location": "Pinetree Road 5, Paris"},
            {"timestamp": "2024-10-10 14:00", "location": "Mountain Road 155, Brussels"},
        ],
    }
    state = json.loads(cli("state", "get", "package-tracker", "package123", "--json", env=env, check=True).stdout)
    assert state["state"]["package-info"] == info
    topics = json.loads(cli("kafka", "topics", "--json", env=env, check=True).stdout)
    assert {"topic": "package-location-updates", "partitions": 1, "records": 2, "end_offsets": {"0": 2}} in topics
    tailed = cli("kafka", "tail", "package-location-updates", "--from-beginning", "--count", "2", "--json", env=env)
    assert [json.loads(line)["offset"] for line in tailed.stdout.splitlines()] == [0, 1]
    s.stop()
    assert pid_gone(kafka["pid"]) and not port_in_use(kafka["port"])


def test_event_transactions_document_flow_under_serve(serve, monkeypatch):
    s, kafka = _serve_kafka(serve, monkeypatch, "event-transactions")
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


def test_kafka_publish_names_the_bad_line_and_keeps_the_ones_before(tmp_path, isolated_state):
    broker = KafkaBroker({})
    broker.start(tmp_path)
    try:
        lines = 'a:{"n": 1}\nb:{"n": 2}\nnot a record\nc:{"n": 3}\n'
        server = broker.bootstrap
        proc = subprocess.run(
            [sys.executable, "-m", "restate_play", "kafka", "publish", "things", "--bootstrap-server", server],
            input=lines,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
        )
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert "line 3" in proc.stderr and "not a record" in proc.stderr
        assert "2 record(s) before it were published" in proc.stderr
        assert "b → things partition 0 offset 1" in proc.stdout
        bad_json = cli("kafka", "publish", "things", 'd:{"n": ', "--bootstrap-server", server)
        assert bad_json.returncode == 2 and "argument 1" in bad_json.stderr and "not JSON" in bad_json.stderr
        tailed = cli("kafka", "tail", "things", "--from-beginning", "--count", "2", "--bootstrap-server", server)
        assert tailed.stdout.splitlines() == ['[0@0] a:{"n": 1}', '[0@1] b:{"n": 2}']
    finally:
        broker.stop()
    assert pid_gone(broker.child.pid) and not port_in_use(broker.port)


def test_restate_data_kept_across_a_fresh_broker_drops_nothing(restate_binary, tmp_path):
    """serve --data-dir twice: the new broker restarts offsets at 0; new records still arrive."""
    pattern = get_pattern("event-enrichment")
    data = tmp_path / "data"

    def locations(sb) -> list[str]:
        resp = httpx.get(f"{sb.ingress_url}/package-tracker/package123/getPackageInfo", timeout=5)
        return [loc["location"] for loc in (resp.json() or {}).get("locations", [])]

    with Sandbox(pattern, SandboxOptions(data_dir=data)) as sb:
        httpx.post(
            f"{sb.ingress_url}/package-tracker/package123/registerPackage",
            json={"finalDestination": "Bridge 6, Amsterdam"},
            timeout=10,
        ).raise_for_status()
        kafka = sb.components[0]
        publish_lines(kafka.bootstrap, "package-location-updates", [LOCATIONS[0]])
        assert _wait(lambda: locations(sb) == ["Pinetree Road 5, Paris"])
        first_subscription = kafka.subscriptions[0]["id"]
    with Sandbox(pattern, SandboxOptions(data_dir=data)) as sb:
        kafka = sb.components[0]
        assert kafka.recreated and kafka.subscriptions[0]["id"] != first_subscription
        (published,) = publish_lines(kafka.bootstrap, "package-location-updates", [LOCATIONS[1]])
        assert published.offset == 0  # the same offset as the first record: Restate must not drop it
        assert _wait(lambda: len(locations(sb)) == 2)
        assert locations(sb) == ["Pinetree Road 5, Paris", "Mountain Road 155, Brussels"]


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
