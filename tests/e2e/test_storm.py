"""`restate-play run durable-rpc --requests N --concurrency C`: a storm on a real restate-server."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from conftest import cli, run_json
from test_run_patterns import assert_clean

pytestmark = pytest.mark.e2e


def test_storm_answers_every_request_and_runs_one_invocation_each(restate_binary, isolated_state):
    code, result = run_json("run", "durable-rpc", "--requests", "200", "--concurrency", "16")
    storm = result["storm"]
    assert code == 0 and result["passed"], result["expectations"]
    assert result["scenario"] == "durable-rpc.storm"  # the pattern's storm traffic: one product per request
    assert storm["requests"] == storm["sent"] == 200 and storm["concurrency"] == 16
    assert storm["answered"] == 200 and storm["errors"] == {}  # all 2xx
    assert storm["answered"] <= storm["requests"] and storm["requests_per_second"] > 0
    lat = storm["latency_ms"]
    assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"]
    assert storm["invocations"] == {"expected": 200, "ran": 200}  # counted in Restate's sys_invocation
    assert result["timings"]["storm"] == pytest.approx(storm["duration"], abs=0.01)
    assert {s["key"] for s in result["state"]} >= {"p1", "p200"}
    assert_clean(result)


def test_storm_plain_shows_progress_and_numbers(restate_binary, isolated_state):
    proc = cli("run", "durable-rpc", "--requests", "30", "--concurrency", "4", "--plain")
    assert proc.returncode == 0, proc.stderr
    assert "storm: 30 requests, 4 at once" in proc.stdout and "30/30 sent" in proc.stdout
    assert "throughput" in proc.stdout and "p99" in proc.stdout


def test_storm_errors_are_clear(restate_binary, isolated_state, tmp_path):
    proc = cli("run", "durable-rpc", "--requests", "0")
    assert proc.returncode == 2 and "--requests must be at least 1" in proc.stderr
    proc = cli("run", "durable-rpc", "--concurrency", "4")
    assert proc.returncode == 2 and "--concurrency needs --requests" in proc.stderr
    waits = tmp_path / "waits.toml"
    waits.write_text('[[step]]\nwait = 0.1\n[[step]]\ncall = "product/p1/reserve"\n')
    proc = cli("run", "durable-rpc", "--scenario", str(waits), "--requests", "5")
    assert proc.returncode == 2 and "Scenario 'waits' cannot drive a storm" in proc.stderr


@pytest.mark.alone  # 1500 requests: it would slow every test beside it
def test_a_long_storm_never_breaks_restates_connection_to_the_service(restate_binary, isolated_state):
    """Over 1000 requests on restate-server's one HTTP/2 connection to hypercorn: no connection error.

    Hypercorn's default closes a connection after 1000 requests; the invocations in flight then
    failed with "h2 pool connection error … broken pipe" and stalled ~5 s before their retry.
    """
    from restate_play.commands.run import scenario_path
    from restate_play.patterns.catalog import get_pattern
    from restate_play.sandbox.ports import free_ports
    from restate_play.sandbox.sandbox import Sandbox, SandboxOptions
    from restate_play.scenario.model import load
    from restate_play.scenario.storm import Storm, storm_template

    pattern = get_pattern("durable-rpc")
    template = storm_template(load(scenario_path(pattern, "durable-rpc.storm")))
    with Sandbox(pattern, SandboxOptions(client_ports=tuple(free_ports(len(pattern.client_ports))))) as sb:
        stats = asyncio.run(Storm(template, 1500, 16, sb.ingress_url).run())
        assert stats.answered == 1500 and not stats.errors
        rows = httpx.post(
            f"{sb.admin_url}/query",
            json={"query": "SELECT event_json FROM sys_journal_events"},
            headers={"accept": "application/json"},
        ).json()["rows"]
        transient = [r["event_json"] for r in rows if "TransientError" in r["event_json"]]
        assert transient == [], transient[:3]
