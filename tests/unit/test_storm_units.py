"""The storm (`run --requests`): templating of {i}, options, the first step, and the statistics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from restate_play.errors import PlayError
from restate_play.paths import scenarios_dir
from restate_play.scenario.actions.requests import CallFields, SendFields
from restate_play.scenario.model import load
from restate_play.scenario.storm import (
    StormStats,
    check_options,
    expected_invocations,
    percentile,
    prepare,
    storm_template,
)


def test_percentile_interpolates_between_ranks():
    values = [float(v) for v in range(1, 101)]  # 1 … 100
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile(values, 0) == 1.0 and percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0 and percentile([], 50) == 0.0


def test_stats_summary_is_consistent():
    stats = StormStats(requests=5, concurrency=2, sent=5, answered=4, started=10.0, finished=12.0)
    stats.errors[500] += 1
    stats.latencies = [0.010, 0.020, 0.030, 0.040, 0.100]
    out = stats.to_dict()
    assert out["answered"] == 4 and out["errors"] == {"500": 1}
    assert out["duration"] == 2.0 and out["requests_per_second"] == 2.5
    lat = out["latency_ms"]
    assert lat["p50"] == 30.0 and lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"] == 100.0
    assert "5/5 sent" in stats.progress() and "1 errors" in stats.progress()


def test_prepare_fills_i_in_target_key_and_body():
    req = CallFields(call="product/p{i}/reserve", idempotency_key="r{i}", body_json='{"n": {i}}')
    one = prepare(req, 7, "http://127.0.0.1:8080/", None)
    assert one.url == "http://127.0.0.1:8080/product/p7/reserve"
    assert one.headers == {"idempotency-key": "r7", "content-type": "application/json"}
    assert json.loads(one.content) == {"n": 7}


def test_prepare_send_and_client_and_fixed_target():
    send = SendFields(send="asyncTaskWorker/runTask", body={"id": 1}, delay="1s")
    one = prepare(send, 3, "http://h:1", None)
    assert one.url == "http://h:1/asyncTaskWorker/runTask/send?delay=1s" and json.loads(one.content) == {"id": 1}
    assert "idempotency-key" not in one.headers
    client = CallFields(call="/reserve/product1/r{i}", via="client")
    assert prepare(client, 2, "http://h:1", "http://h:5000").url == "http://h:5000/reserve/product1/r2"
    with pytest.raises(PlayError, match="no client app"):
        prepare(client, 2, "http://h:1", None)


def test_expected_invocations_counts_distinct_requests():
    assert expected_invocations(CallFields(call="svc/h"), 50) == 50
    assert expected_invocations(CallFields(call="obj/k/h", idempotency_key="same"), 50) == 1
    assert expected_invocations(CallFields(call="obj/p{i}/h", idempotency_key="r{i}"), 50) == 50


def test_options():
    assert check_options(None, None) is None
    assert check_options(10, None) == (10, 16)
    assert check_options(10, 3) == (10, 3)
    for requests, concurrency, message in ((0, None, "--requests"), (5, 0, "--concurrency"), (None, 4, "needs")):
        with pytest.raises(PlayError, match=message):
            check_options(requests, concurrency)


def test_first_step_must_be_a_request(tmp_path: Path):
    bad = tmp_path / "waits.toml"
    bad.write_text('[[step]]\nwait = 1.0\n[[step]]\ncall = "svc/h"\n')
    with pytest.raises(PlayError, match="Scenario 'waits'.*first step is 'wait'"):
        storm_template(load(bad))


def test_storm_scenario_loads_with_i_in_a_repeated_target(tmp_path: Path):
    req = storm_template(load(scenarios_dir() / "durable-rpc.storm.toml"))
    assert req.target == "product/p{i}/reserve" and req.idempotency_key == "r{i}" and req.repeat > 1
    once = tmp_path / "once.toml"  # {i} outside a repeated request is still an uncaptured variable
    once.write_text('[[step]]\ncall = "product/p{i}/reserve"\n')
    with pytest.raises(PlayError, match="captured"):
        load(once)
