"""`restate-play serve`: the source documents' curl lines, verbatim but for the ports, and cleanup."""

from __future__ import annotations

import json
import re
import signal
import time

import httpx
import pytest
from conftest import cli

from restate_play.patterns.catalog import get_pattern
from restate_play.sandbox.ports import free_ports

pytestmark = pytest.mark.e2e


def test_durable_rpc_document_curls(serve):
    s = serve("durable-rpc")
    first, second, again = get_pattern("durable-rpc").curls
    assert s.curl(first).strip() == "true"
    assert s.curl(second).strip() == "false"
    assert s.curl(again).strip() == "true"  # deduplicated by the reservation id
    assert s.stop() == 130  # Ctrl-C: stop() also checks that no process and no port is left


def test_sagas_document_curl(serve):
    s = serve("sagas")
    (line,) = get_pattern("sagas").curls
    out = s.curl(line)
    assert "This hotel is fully booked!" in out
    log = s.wait_output("Flight cancelled for customer 12345")
    for text in (
        "Flight booked for customer 12345",
        "Car booked for customer 12345",
        "Hotel cancelled",
        "Car cancelled for customer 12345",
        "Flight cancelled for customer 12345",
    ):
        assert text in log
    s.stop(signal.SIGTERM)


def test_stateful_actors_document_curls_and_state_commands(serve):
    s = serve("stateful-actors")
    single, *concurrent = get_pattern("stateful-actors").curls
    assert "my-machine is now up" in s.curl(single)
    for line in concurrent:
        s.curl(line)  # each backgrounds itself, as in the document
    env = {"XDG_STATE_HOME": s.env["XDG_STATE_HOME"]}
    deadline = time.monotonic() + 90
    while True:
        states = {}
        for key in ("a", "b"):
            proc = cli("state", "get", "machineOperator", key, "--json", env=env, check=True)
            states[key] = json.loads(proc.stdout)["state"].get("state")
        if states == {"a": "DOWN", "b": "DOWN"} or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert states == {"a": "DOWN", "b": "DOWN"}
    # `state get` found the running serve by itself; the table form looks like `restate kv get`.
    table = cli("state", "get", "machineOperator", "a", env=env, check=True).stdout
    assert re.search(r"Service\s+machineOperator", table) and re.search(r"state\s+│?\s*\"DOWN\"", table)
    listing = json.loads(
        cli("invocations", "list", "--service", "machineOperator", "--json", env=env, check=True).stdout
    )
    assert len([i for i in listing if i["target"].startswith("machineOperator/")]) >= 6
    tear_down_b = next(i for i in listing if i["target"] == "machineOperator/b/tearDown")
    described = json.loads(cli("invocations", "describe", tear_down_b["id"], "--json", env=env, check=True).stdout)
    names = [e["name"] for e in described["journal"] if e["kind"] == "Command"]
    assert names[-4:-1] == ["Begin DOWN", "Transition to DOWN", "Done DOWN"] or "Begin DOWN" in names
    tree = cli("invocations", "describe", tear_down_b["id"], env=env, check=True).stdout
    assert "Begin DOWN" in tree and "Sleep" in tree
    s.stop()


def test_busy_port_is_a_clear_error(restate_binary, isolated_state):
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        proc = cli("serve", "sagas", "--ingress-port", str(busy), env={"XDG_STATE_HOME": str(isolated_state)})
    assert proc.returncode == 2
    assert f"Port {busy}" in proc.stderr and "already in use" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_state_get_with_nothing_running_says_what_to_do(isolated_state):
    (port,) = free_ports(1)
    proc = cli("state", "get", "machineOperator", "a", "--admin-url", f"http://127.0.0.1:{port}")
    assert proc.returncode == 2
    assert "Cannot reach the Restate admin API" in proc.stderr and "restate-play serve" in proc.stderr


def test_unknown_pattern_suggests_nearest(isolated_state):
    proc = cli("run", "sagass")
    assert proc.returncode == 2 and "Did you mean 'sagas'" in proc.stderr


def test_state_set_rejects_non_json(isolated_state):
    proc = cli("state", "set", "machineOperator", "a", "state", "DOWN", "--admin-url", "http://127.0.0.1:1")
    assert proc.returncode == 2 and "not JSON" in proc.stderr and '"UP"' in proc.stderr


def test_list_json_groups_patterns():
    proc = cli("list", "--json", check=True)
    patterns = json.loads(proc.stdout)
    assert {p["slug"] for p in patterns} >= {"sagas", "durable-rpc", "stateful-actors"}
    assert httpx  # imported for parity with other e2e modules
