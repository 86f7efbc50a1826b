"""Two `serve`s side by side: each prints its own ports, `ps` lists both, commands pick the right one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, Served, cli

from restate_play.waiting import eventually

pytestmark = pytest.mark.e2e


def printed_curls(s: Served) -> list[str]:
    """The curl lines as the serve printed them: whole lines (no box), its ports already in."""
    return [line for line in s.output().splitlines() if line.startswith(("curl ", "(curl "))]


def run_curl(line: str) -> str:
    proc = subprocess.run(
        ["bash", "-c", line.replace("curl ", "curl -s --max-time 60 ", 1)], capture_output=True, text=True, timeout=90
    )
    return proc.stdout


def service_pid(s: Served) -> int:
    return json.loads(Path(s.sandbox["state_file"]).read_text())["service"]["pid"]  # current, after restarts


def test_two_serves_side_by_side(serve):
    sagas, actors = serve("sagas"), serve("stateful-actors")
    env = actors.env
    for s, other in ((sagas, actors), (actors, sagas)):
        text = s.output()
        assert f"localhost:{s.ingress}/" in text and f"http://127.0.0.1:{s.admin}/ui/" in text
        for port in (8080, 9070, other.ingress, other.admin):
            assert f"localhost:{port}/" not in text, f"{s.slug} prints port {port}"
        assert f"restate-play invocations list --admin-url http://127.0.0.1:{s.admin}" in text.splitlines()
    # Each one's printed curl lines work against it.
    (booking,) = printed_curls(sagas)
    assert "This hotel is fully booked!" in run_curl(booking)
    single, *concurrent = printed_curls(actors)
    assert "my-machine is now up" in run_curl(single)

    listed = json.loads(cli("ps", "--json", env=env, check=True).stdout)
    assert [(r["name"], r["pattern"], r["ports"]["admin"]) for r in listed] == [
        ("sagas", "sagas", sagas.admin),
        ("stateful-actors", "stateful-actors", actors.admin),
    ]
    assert listed[1]["ports"]["ingress"] == actors.ingress and listed[1]["pids"]["owner"] == actors.proc.pid
    table = cli("ps", env=env, check=True).stdout
    rows = [line.split() for line in table.splitlines()]
    assert ["stateful-actors", "stateful-actors", str(actors.ingress), str(actors.admin), str(actors.proc.pid)] in [
        r[:5] for r in rows
    ]
    assert ["sagas", "sagas", str(sagas.ingress), str(sagas.admin)] in [r[:4] for r in rows]
    assert all(len(line) <= 80 for line in table.splitlines())

    # With two running, a command without --admin-url says which there are and what to pass.
    ambiguous = cli("invocations", "list", env=env)
    assert ambiguous.returncode == 2
    assert "sagas" in ambiguous.stderr and "stateful-actors" in ambiguous.stderr and "--admin-url" in ambiguous.stderr
    assert cli("kill", "service", env=env).returncode == 2

    # kill/restart --admin-url hit the serve that owns that admin port; the other's service lives on.
    sagas_service, actors_service = service_pid(sagas), service_pid(actors)
    killed = cli("kill", "service", "--admin-url", f"127.0.0.1:{actors.admin}", env=env, check=True).stdout
    assert f"pid {actors_service}" in killed and f"--admin-url http://127.0.0.1:{actors.admin}" in killed
    cli("restart", "service", "--admin-url", "stateful-actors", env=env, check=True)
    assert service_pid(actors) != actors_service and service_pid(sagas) == sagas_service
    for line in concurrent:
        run_curl(line)
    state = eventually(
        lambda: json.loads(
            cli(
                "state",
                "get",
                "machineOperator",
                "b",
                "--admin-url",
                f"localhost:{actors.admin}",
                "--json",
                env=env,
                check=True,
            ).stdout
        )["state"].get("state"),
        until=lambda value: value == "DOWN",
        timeout=90,
        what="machineOperator/b DOWN on the second serve",
    )
    assert state == "DOWN"

    # Stopping the newer leaves the older controllable, without --admin-url.
    assert actors.stop() == 130  # stop() also checks its processes and ports are gone
    assert [r["name"] for r in json.loads(cli("ps", "--json", env=env, check=True).stdout)] == ["sagas"]
    killed = cli("kill", "service", env=env, check=True).stdout
    assert f"pid {sagas_service}" in killed
    cli("restart", "service", env=env, check=True)
    assert "This hotel is fully booked!" in run_curl(booking)
    assert sagas.stop(signal.SIGTERM) == 130
    assert json.loads(cli("ps", "--json", env=env, check=True).stdout) == []


def test_a_run_in_progress_is_listed_and_its_record_removed(isolated_state):
    env = {"XDG_STATE_HOME": str(isolated_state)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "restate_play", "run", "stateful-actors", "--plain", "--time-scale", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
        start_new_session=True,
    )
    try:
        listed = eventually(
            lambda: json.loads(cli("ps", "--json", env=env, check=True).stdout),
            until=bool,
            timeout=60,
            what="the run in `ps`",
        )
        assert [(r["kind"], r["name"], r["owner_pid"]) for r in listed] == [("run", "run-stateful-actors", proc.pid)]
        assert "run-stateful-actors" in cli("ps", env=env, check=True).stdout
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 130
    finally:
        if proc.poll() is None:  # the test failed midway: stop the run and its sandbox all the same
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
    assert json.loads(cli("ps", "--json", env=env, check=True).stdout) == []
    assert not list((isolated_state / "restate-play" / "runs").glob("*.json"))
