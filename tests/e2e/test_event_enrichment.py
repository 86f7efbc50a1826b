"""Event Enrichment: its default scenario, a doubled record that must break its checks, the document's
flow against `serve` (with `kafka publish/tail/topics` and `state get`), and Restate data kept across a
fresh broker.
"""

from __future__ import annotations

import json

import httpx
import pytest
from conftest import REPO, cli, pid_gone, run_json
from kafka_checks import assert_clean, serve_kafka

from restate_play.patterns.catalog import get_pattern
from restate_play.sandbox.kafka_client import publish_lines
from restate_play.sandbox.ports import port_in_use
from restate_play.sandbox.sandbox import Sandbox, SandboxOptions
from restate_play.waiting import eventually

pytestmark = pytest.mark.e2e

LOCATIONS = [
    'package123:{"timestamp": "2024-10-10 13:00", "location": "Pinetree Road 5, Paris"}',
    'package123:{"timestamp": "2024-10-10 14:00", "location": "Mountain Road 155, Brussels"}',
]


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


def test_event_enrichment_document_flow_under_serve(serve, monkeypatch):
    s, kafka = serve_kafka(serve, monkeypatch, "event-enrichment")
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
    info = eventually(
        lambda: json.loads(s.curl(query) or "null"),
        until=lambda i: bool(i) and len(i.get("locations", [])) == 2,
        what="package123's two locations",
    )
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
        eventually(
            lambda: locations(sb), until=lambda got: got == ["Pinetree Road 5, Paris"], what="the first location"
        )
        first_subscription = kafka.subscriptions[0]["id"]
    with Sandbox(pattern, SandboxOptions(data_dir=data)) as sb:
        kafka = sb.components[0]
        assert kafka.recreated and kafka.subscriptions[0]["id"] != first_subscription
        (published,) = publish_lines(kafka.bootstrap, "package-location-updates", [LOCATIONS[1]])
        assert published.offset == 0  # the same offset as the first record: Restate must not drop it
        eventually(lambda: locations(sb), until=lambda got: len(got) == 2, what="both locations")
        assert locations(sb) == ["Pinetree Road 5, Paris", "Mountain Road 155, Brussels"]
