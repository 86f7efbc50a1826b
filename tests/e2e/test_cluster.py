"""A real three-node cluster: the sagas scenarios on it (one cluster for the module), crash-demo
with the leader killed, chaos with node kills, and `serve --nodes 3` with `kill node 2`,
`cluster status` and Ctrl-C leaving nothing behind."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import REPO, ChildLog, cli, pid_gone, run_json, stop_process_group
from rich.console import Console

from restate_play.commands.run import play, sandbox_options, scenario_path
from restate_play.patterns.catalog import get_pattern
from restate_play.sandbox.ports import free_ports, port_in_use
from restate_play.sandbox.sandbox import Sandbox, SandboxOptions
from restate_play.scenario.model import load
from restate_play.waiting import eventually

pytestmark = pytest.mark.e2e


SCENARIOS = ("sagas", "sagas.cluster")


@pytest.fixture(scope="module")
def cluster(restate_binary, tmp_path_factory):
    """One three-node sagas sandbox for the scenarios below."""
    data = tmp_path_factory.mktemp("cluster")
    pattern = get_pattern("sagas")
    options = SandboxOptions(nodes=3, time_scale=0.1, data_dir=data, supervise=True)
    for name in SCENARIOS:  # each scenario's world faults and latencies (their keys do not overlap)
        for key, value in sandbox_options(pattern, load(scenario_path(pattern, name)), None, None).extra_env.items():
            merged = {**json.loads(options.extra_env.get(key, "{}")), **json.loads(value)}
            options.extra_env[key] = json.dumps(merged)
    with Sandbox(pattern, options) as sb:
        yield sb
    assert all(pid_gone(n["pid"]) for n in sb.describe()["nodes"])


def play_on(sb: Sandbox, scenario: str) -> dict:
    pattern = get_pattern("sagas")
    loaded = load(scenario_path(pattern, scenario))
    out = Console(file=io.StringIO())
    return asyncio.run(play(sb, loaded, pattern, "json", out)).to_dict()


def failed(result: dict) -> list[str]:
    checks = [f"{c['description']}: {c['detail']}" for c in result["expectations"] if not c["passed"]]
    return [*checks, result["error"] or ""]


def test_the_sagas_scenario_passes_on_three_nodes(cluster):
    result = play_on(cluster, "sagas")
    assert result["passed"], failed(result)
    assert len(result["sandbox"]["nodes"]) == 3
    assert all(n["pid"] for n in result["sandbox"]["nodes"])


def test_the_leader_dies_mid_saga_and_another_node_finishes_it(cluster):
    result = play_on(cluster, "sagas.cluster")
    assert result["passed"], failed(result)
    (crash,) = result["crashes"]
    assert crash["target"].startswith("node ") and crash["led"] == [0]  # it was the partition's leader
    assert "restarted_at" in crash  # and it came back
    bookings = [e["action"] for e in result["ledger"] if e["args"].get("customer") == "5150"]
    assert bookings.count("flight.book") == bookings.count("car.book") == 1 and "hotel.book" in bookings


def test_crash_demo_kills_the_leader_and_journaled_steps_run_once(isolated_state):
    code, result = run_json("crash-demo", "--nodes", "3", "--target", "leader", timeout=240)
    assert code == 0, failed(result)
    assert result["crashes"][0]["target"].startswith("node ")
    replay = result["replay"]
    journaled = [s["name"] for s in replay["steps"] if s["journaled_before_crash"]]
    assert journaled[:2] == ["Book flight", "Book car"]
    once = {row["action"]: row["runs"] for row in replay["exactly_once"]}
    assert once.get("flight.book") == 1 and once.get("car.book") == 1
    actions = [e["action"] for e in result["ledger"]]
    # Every step ran; the one under way at the kill may have run twice (at-least-once), never zero.
    assert {"flight.book", "car.book", "hotel.book"} <= set(actions)


def test_chaos_kills_nodes_and_the_invariants_hold(isolated_state):
    args = ("chaos", "payment-state-machines", "--nodes", "3", "--target", "nodes")
    code, report = run_json(*args, "--kills", "2", "--seed", "3", "--requests", "40", timeout=240)
    assert code == 0, [i for i in report["invariants"] if not i["passed"]]
    assert report["kills_landed"] == 2 and all(k["hit_work"] for k in report["kills"])
    assert {k["target"] for k in report["kills"]} <= {"node 1", "node 2", "node 3"}


def test_serve_three_nodes_kill_node_2_status_and_ctrl_c(isolated_state):
    ingress, admin, service, fabric = free_ports(4)
    args = ["serve", "stateful-actors", "--nodes", "3", "--ingress-port", str(ingress), "--admin-port", str(admin)]
    args += ["--service-port", str(service), "--fabric-port", str(fabric), "--time-scale", "0.1"]
    env = {**os.environ, "COLUMNS": "200"}
    log = ChildLog(isolated_state.parent / "serve-cluster.log")
    with log.for_child() as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "restate_play", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPO,
            start_new_session=True,
        )

    def output() -> str:
        assert proc.poll() is None, f"serve exited:\n{log.text()}"
        return log.text()

    try:
        eventually(output, until=lambda out: "Ctrl-C stops everything" in out, timeout=90, what="serve --nodes 3")
        record = json.loads((isolated_state / "restate-play" / "serves" / f"{admin}.json").read_text())
        sandbox_state = Path(record["state_file"])  # the sandbox's own: PIDs and ports of every node
        nodes = json.loads(sandbox_state.read_text())["nodes"]
        node_ports = [p for n in nodes for p in (n["ingress"], n["admin"], n["fabric"])]
        flag = ("--admin-url", f"http://127.0.0.1:{admin}")
        killed = cli("kill", "node", "2", *flag, check=True)
        assert "node 2 killed" in killed.stdout
        answer = httpx.post(f"http://127.0.0.1:{ingress}/machineOperator/z/setUp", content=b"", timeout=60)
        assert answer.status_code == 200

        def status() -> dict:
            return json.loads(cli("cluster", "status", *flag, "--json", check=True).stdout)

        seen = eventually(status, until=lambda s: _state(s, 2) == "dead", timeout=20, what="node 2 dead")
        assert _state(seen, 1) == _state(seen, 3) == "alive"
        leader = next(n for n in seen["nodes"] if n["id"] == seen["partitions"][0]["leader"])
        assert leader["name"] != "n2"
        pids = [n["pid"] for n in json.loads(sandbox_state.read_text())["nodes"]]
        assert stop_process_group(proc, signal.SIGINT) == 130
        assert all(pid_gone(p) for p in pids)
        assert not [p for p in node_ports + [service] if port_in_use(p)]
    finally:
        if proc.poll() is None:
            stop_process_group(proc, signal.SIGKILL)


def _state(status: dict, number: int) -> str:
    return next((n["state"] for n in status["nodes"] if n["name"] == f"n{number}"), "missing")
