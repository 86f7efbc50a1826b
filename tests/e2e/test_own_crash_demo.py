"""crash-demo on the user's own code: one request of theirs (--call/--body @file/--at) killed mid-flight
on a project made by `new`, and `--watch` playing the project's crash.toml again on a save."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import stop_process_group
from test_own_code import Lines, processes_mentioning, restate_play

pytestmark = pytest.mark.e2e

TRIP = {
    "customerId": "4711",
    "flights": {"flightId": "LH400", "passengerName": "Ada"},
    "car": {"pickupLocation": "Airport", "rentalDate": "2025-06-01"},
    "hotel": {"arrivalDate": "2025-06-01", "departureDate": "2025-06-04"},
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    assert restate_play("new", "sagas", "trip", cwd=tmp_path, timeout=60).returncode == 0
    (tmp_path / "trip" / "trip.json").write_text(json.dumps(TRIP))
    return tmp_path / "trip"


def test_crash_demo_of_the_users_own_request(project: Path, isolated_state) -> None:
    args = ["crash-demo", ".", "--call", "BookingWorkflow/run", "--body", "@trip.json", "--at", "Book car", "--json"]
    # A slow car and hotel API (the world's latency knob) gives the SIGKILL an invocation still in flight.
    env = {**os.environ, "RESTATE_PLAY_LATENCY": json.dumps({"car.book": 0.4, "hotel.book": 0.8})}
    cmd = [sys.executable, "-P", "-m", "restate_play", *args]
    done = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=240)
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["passed"], (report["expectations"], done.stderr[-2000:])
    replay = report["replay"]
    assert [(s["name"], s["journaled_before_crash"]) for s in replay["steps"]] == [
        ("Book flight", True),
        ("Book car", True),
        ("Book hotel", False),  # under way or not begun when the service died: run after the restart
    ]
    assert {row["action"] for row in replay["exactly_once"]} == {"flight.book", "car.book"}


def test_crash_demo_watch_plays_again_on_save(project: Path, isolated_state) -> None:
    cmd = [sys.executable, "-P", "-m", "restate_play", "crash-demo", ".", "--watch", "--plain"]
    env = {**os.environ, "COLUMNS": "160", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        cmd, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    lines = Lines(proc)
    try:
        assert lines.wait_for("PASSED:", "FAILED:", "error:").startswith("PASSED:")
        lines.wait_for("Watching")
        app = project / "app.py"
        app.write_text(app.read_text() + "\n# saved again\n")
        assert lines.wait_for("PASSED:", "FAILED:", "error:").startswith("PASSED:")
        assert proc.poll() is None
    finally:
        stop_process_group(proc, timeout=30)
    assert processes_mentioning(str(project)) == [], "Ctrl-C left a process behind"
