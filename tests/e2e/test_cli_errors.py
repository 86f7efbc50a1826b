"""The CLI's clear errors: a busy port for `serve`, nothing running, an unknown pattern, a bad value; `list`.

Each pattern's document curl lines against `serve` are in its own tests/e2e/test_<slug>.py.
"""

from __future__ import annotations

import json

import pytest
from conftest import cli

from restate_play.sandbox.ports import free_ports

pytestmark = pytest.mark.e2e


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
