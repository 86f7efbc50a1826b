"""Services in any language: `--service-cmd` starts, crashes and restarts a TypeScript saga (Node.js 22,
Restate's TypeScript SDK) and a plain hypercorn of a `new` project; `--deployment` registers one that
is already running and refuses to crash it. Real restate-servers, real Node.js processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, pid_gone
from test_own_code import restate_play

from restate_play.sandbox.ports import free_ports, port_in_use
from restate_play.waiting import eventually

pytestmark = pytest.mark.e2e

TS_SAGAS = REPO / "examples" / "sagas-typescript"
TSX = "npx tsx src/booking_workflow.ts"
UNDO_LOOP = "for (const compensation of compensations.reverse()) await compensation();"
DOC_TRIP_ONLY = """
title = "The document's trip, no crash"

[[step]]
call = "BookingWorkflow/run"
as = "doc-trip"
expect = { status = 500, body_contains = "fully booked" }
[step.body]
customerId = "12345"
flights = { flightId = "12345", passengerName = "John Doe" }
car = { pickupLocation = "Airport", rentalDate = "2024-12-16" }
hotel = { arrivalDate = "2024-12-16", departureDate = "2024-12-20" }

[[step]]
expect_journal.of = "doc-trip"
expect_journal.entries = ["Book flight", "Book car", "Book hotel", "Cancel hotel", "Cancel car", "Cancel flight"]
"""


@pytest.fixture(scope="module")
def typescript_sagas() -> Path:
    """examples/sagas-typescript with its npm packages (./run-tests installs them; here too if missing)."""
    if not (TS_SAGAS / "node_modules" / ".bin" / "tsx").exists():
        npm = shutil.which("npm")
        assert npm, "npm is needed for the TypeScript example: ./run-tests installs it (apt-get install npm)"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=TS_SAGAS, check=True, timeout=300)
    return TS_SAGAS


def play_json(*args: str, cwd: Path) -> dict:
    """`restate-play ARGS --json` in `cwd`, its JSON document (an assertion with the output if none)."""
    proc = restate_play(*args, "--json", cwd=cwd)
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as err:
        tail = f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        raise AssertionError(f"not JSON (exit {proc.returncode}):\n{tail}") from err


def run_json(*args: str, cwd: Path) -> dict:
    return play_json("run", *args, cwd=cwd)


def failed(report: dict) -> list[str]:
    return [e["description"] for e in report["expectations"] if not e["passed"]]


def test_typescript_sagas_keep_the_patterns_promises_through_a_crash(typescript_sagas, isolated_state):
    report = run_json("sagas", "--service-cmd", TSX, cwd=typescript_sagas)
    assert report["passed"], (failed(report), report["error"])
    # The scenario's SIGKILL hit the Node.js process group, which was started again with the same command.
    assert [c["target"] for c in report["crashes"]] == ["service"]
    assert "npx tsx" in report["sandbox"]["code"]
    assert pid_gone(report["sandbox"]["service"]["pid"]) and pid_gone(report["sandbox"]["server"]["pid"])
    assert not port_in_use(report["sandbox"]["service"]["port"])


def test_typescript_sagas_without_compensations_fail_the_right_checks(typescript_sagas, isolated_state, tmp_path):
    broken = tmp_path / "sagas-ts"
    shutil.copytree(typescript_sagas / "src", broken / "src")
    shutil.copy(typescript_sagas / "package.json", broken)
    (broken / "node_modules").symlink_to(typescript_sagas / "node_modules")
    code = (broken / "src" / "booking_workflow.ts").read_text()
    assert UNDO_LOOP in code
    (broken / "src" / "booking_workflow.ts").write_text(code.replace(UNDO_LOOP, "// compensations removed"))
    report = run_json("sagas", "--service-cmd", TSX, cwd=broken)
    assert not report["passed"]
    assert any("Cancel flight" in d for d in failed(report)), failed(report)  # the journal has no undo
    assert any("flight.cancel" in d for d in failed(report)), failed(report)  # nor does the world


def test_a_new_project_under_its_own_hypercorn_command(isolated_state, tmp_path):
    project = tmp_path / "trip"
    assert restate_play("new", "sagas", str(project), cwd=tmp_path).returncode == 0
    cmd = f"{sys.executable} -m hypercorn app:app --bind 127.0.0.1:$PORT"
    report = run_json(".", "--service-cmd", cmd, cwd=project)  # its scenario.toml, with its crash
    assert report["passed"], (failed(report), report["error"])
    assert report["pattern"] == "trip" and report["crashes"]


def test_deployment_is_registered_and_never_crashed(isolated_state, tmp_path):
    project = tmp_path / "trip"
    assert restate_play("new", "sagas", str(project), cwd=tmp_path).returncode == 0
    (tmp_path / "doc-trip.toml").write_text(DOC_TRIP_ONLY)
    # Refused before anything starts, naming the step: the project's scenario crashes the service.
    refused = restate_play("run", ".", "--deployment", "http://127.0.0.1:1", cwd=project, timeout=60)
    assert refused.returncode == 2 and "crash" in refused.stderr and "--service-cmd" in refused.stderr
    (port,) = free_ports(1)
    cmd = [sys.executable, "-m", "hypercorn", "app:app", "--bind", f"127.0.0.1:{port}"]
    mine = subprocess.Popen(
        cmd, cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        eventually(lambda: port_in_use(port), timeout=30, what=f"the user's hypercorn on port {port}")
        url = f"http://127.0.0.1:{port}"
        report = run_json(".", "--deployment", url, "--scenario", str(tmp_path / "doc-trip.toml"), cwd=project)
        assert report["passed"], (failed(report), report["error"])
        assert mine.poll() is None  # the user's process is still theirs, and still up
    finally:
        os.killpg(mine.pid, signal.SIGTERM)
        mine.wait(timeout=10)


def test_scenario_new_writes_a_start_from_the_registered_handlers(typescript_sagas, isolated_state, tmp_path):
    project = tmp_path / "trip"
    assert restate_play("new", "sagas", str(project), cwd=tmp_path).returncode == 0
    made = restate_play("scenario", "new", ".", "-o", "start.toml", cwd=project, timeout=120)
    assert made.returncode == 0, made.stderr
    text = (project / "start.toml").read_text()
    assert 'call = "BookingWorkflow/run"' in text and "customerId" in text  # from the handler's JSON Schema
    again = restate_play("scenario", "new", ".", "-o", "start.toml", cwd=project, timeout=60)
    assert again.returncode == 2 and "does not overwrite" in again.stderr
    # Any language, through the same path: the TypeScript saga's handler, without a schema.
    out = tmp_path / "ts.toml"
    made = restate_play("scenario", "new", "--service-cmd", TSX, "-o", str(out), cwd=typescript_sagas, timeout=120)
    assert made.returncode == 0, made.stderr
    assert 'call = "BookingWorkflow/run"' in out.read_text() and (tmp_path / "scenario.schema.json").exists()
    assert restate_play("scenario", "check", str(out), cwd=tmp_path).returncode == 0
