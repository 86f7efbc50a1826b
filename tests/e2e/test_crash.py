"""crash-demo (service and server), and kill/restart from another shell against `serve`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import cli, pid_gone, run_json

from restate_play.waiting import eventually

pytestmark = pytest.mark.e2e


def test_crash_demo_service_replays_completed_steps(restate_binary, isolated_state):
    code, result = run_json("crash-demo")
    assert code == 0, result["expectations"]
    assert result["pattern"] == "sagas" and len(result["crashes"]) == 1
    crash = result["crashes"][0]
    assert crash["target"] == "service" and crash["after_entry"] == "Book car" and crash["restarted_at"] > crash["at"]
    replay = result["replay"]
    steps = {s["name"]: s["journaled_before_crash"] for s in replay["steps"]}
    assert steps == {"Book flight": True, "Book car": True, "Book hotel": False}
    assert [r["action"] for r in replay["exactly_once"]] == ["flight.book", "car.book"]
    assert all(r["runs"] == 1 for r in replay["exactly_once"])
    # A service kill stops the hotel call before it reaches the provider: nothing ran twice.
    assert replay["at_least_once"] == []
    ledger = [e["action"] for e in result["ledger"]]
    assert ledger.count("flight.book") == ledger.count("car.book") == ledger.count("hotel.book") == 1


def test_crash_demo_server_at_first_step(restate_binary, isolated_state):
    code, result = run_json("crash-demo", "sagas", "--target", "server", "--at", "Book flight")
    assert code == 0, result["expectations"]
    assert result["crashes"][0]["target"] == "server"
    replay = result["replay"]
    assert [s["name"] for s in replay["steps"] if s["journaled_before_crash"]] == ["Book flight"]
    assert [r["action"] for r in replay["exactly_once"]] == ["flight.book"]
    # The service kept running while the server was down: the car booking under way at the crash
    # may have reached the provider, and then runs again on replay (at-least-once), reported as such.
    ledger = [e["action"] for e in result["ledger"]]
    assert ledger.count("flight.book") == 1 and ledger.count("hotel.book") == 1
    assert ledger.count("car.book") == 1 + len(replay["at_least_once"])


def test_crash_demo_unknown_entry_fails_clearly(restate_binary, isolated_state):
    code, result = run_json("crash-demo", "--at", "Book spaceship")
    assert code == 1
    failed = [c for c in result["expectations"] if not c["passed"]]
    assert any("Book spaceship" in c["description"] for c in failed)


def test_kill_and_restart_from_another_shell(serve):
    s = serve("stateful-actors")
    env = {"XDG_STATE_HOME": s.env["XDG_STATE_HOME"]}
    before = json.loads(Path(s.sandbox["state_file"]).read_text())
    killed = json.loads(cli("kill", "service", "--json", env=env, check=True).stdout)
    assert killed["ok"] and pid_gone(before["service"]["pid"])
    # While the service is down a request is accepted by Restate and retried.
    answer = s.curl("curl -s -X POST localhost:8080/machineOperator/k1/setUp/send")
    inv_id = json.loads(answer)["invocationId"]
    described = eventually(
        lambda: json.loads(cli("invocations", "describe", inv_id, "--json", env=env, check=True).stdout),
        until=lambda described: described["status"] == "backing-off",
        timeout=15,
        interval=0.2,
        what=f"{inv_id} backing off while the service is down",
    )
    assert "Connection refused" in (described["last_failure"] or "")
    restarted = json.loads(cli("restart", "service", "--json", env=env, check=True).stdout)
    assert restarted["ok"] and restarted["took"] < 20  # bounded, not timed: bench/ measures restarts
    after = json.loads(Path(s.sandbox["state_file"]).read_text())
    assert after["service"]["pid"] != before["service"]["pid"]
    eventually(
        lambda: json.loads(cli("state", "get", "machineOperator", "k1", "--json", env=env, check=True).stdout)["state"],
        until=lambda state: state.get("state") == "UP",
        timeout=30,
        interval=0.3,
        ignore=(AssertionError,),  # `state get` exits 2 while k1 has no state yet
        what="k1 UP once the service is back",
    )
    # The server too: killed, restarted on its data, state still there.
    assert json.loads(cli("kill", "server", "--json", env=env, check=True).stdout)["ok"]
    assert pid_gone(after["server"]["pid"])
    assert json.loads(cli("restart", "server", "--json", env=env, check=True).stdout)["ok"]
    state = json.loads(cli("state", "get", "machineOperator", "k1", "--json", env=env, check=True).stdout)
    assert state["state"]["state"] == "UP"
    s.stop()


def test_kill_without_serve_says_what_to_do(isolated_state):
    proc = cli("kill", "service")
    assert proc.returncode == 2 and "No running `restate-play serve`" in proc.stderr
    proc = cli("restart", "database")
    assert proc.returncode == 2
