"""`restate-play server start|stop`: runs reuse one server, each with a fresh deployment and clean state."""

from __future__ import annotations

import json

import pytest
from conftest import cli, pid_gone, run_json

from restate_play.sandbox.ports import port_in_use

pytestmark = pytest.mark.e2e


def test_runs_share_the_server_and_start_clean(restate_binary, isolated_state):
    started = json.loads(cli("server", "start", "--json", check=True).stdout)
    try:
        assert started["running"] and not pid_gone(started["pid"])
        status = json.loads(cli("server", "status", "--json", check=True).stdout)
        assert status["healthy"] and status["pid"] == started["pid"]
        results = [run_json("run", "durable-rpc")[1] for _ in range(2)]
        for result in results:
            # Both runs talk to the shared server…
            assert result["sandbox"]["shared_server"] and result["sandbox"]["server"]["pid"] == started["pid"]
            # …and each sees a clean slate: the scenario counts exactly its own 2 invocations of
            # product1 and expects reservation1 to win, which the first run's leftovers would break.
            assert result["passed"], [c for c in result["expectations"] if not c["passed"]]
            assert pid_gone(result["sandbox"]["service"]["pid"])
        # A scenario that crashes the server never touches the shared one: it gets a private server.
        code, demo = run_json("crash-demo", "sagas", "--target", "server")
        assert code == 0 and not demo["sandbox"]["shared_server"] and demo["sandbox"]["server"]["pid"] != started["pid"]
        assert not pid_gone(started["pid"])
    finally:
        stopped = json.loads(cli("server", "stop", "--json", check=True).stdout)
    assert stopped["stopped"] and pid_gone(started["pid"])
    assert not port_in_use(started["admin"]) and not port_in_use(started["ingress"])
    assert not json.loads(cli("server", "status", "--json", check=True).stdout)["running"]


def test_second_start_is_refused_clearly(restate_binary, isolated_state):
    cli("server", "start", check=True)
    try:
        again = cli("server", "start")
        assert again.returncode == 2 and "already running" in again.stderr and "server stop" in again.stderr
    finally:
        cli("server", "stop", check=True)
    assert "No shared restate-server" in cli("server", "stop", check=True).stdout
