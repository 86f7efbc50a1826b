"""Fixing forward on real servers: `fix-demo` (a paused saga resumed on a second, fixed deployment),
and against `serve sagas`: restart-as-new by name and by index, a dry run that changes nothing and
names the compensation trap, and the refusals (a running invocation, an index past the journal, an
unknown deployment)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import cli, run_json

from restate_play.waiting import eventually
from restate_play.world import ledger

pytestmark = pytest.mark.e2e

TRIP = (
    'curl localhost:8080/BookingWorkflow/run --json \'{"customerId": "%s", "flights": {"flightId": "12345", '
    '"passengerName": "John Doe"}, "car": {"pickupLocation": "Airport", "rentalDate": "2024-12-16"}, '
    '"hotel": {"arrivalDate": "2024-12-16", "departureDate": "2024-12-20"}}\''
)


def test_fix_demo_resumes_the_paused_trip_on_the_fix():
    code, result = run_json("fix-demo", timeout=120)
    assert code == 0 and result["passed"], result
    held = {c["what"]: c for c in result["checks"]}
    assert "paused" in held["the buggy trip retries, then pauses"]["observed"]
    fixed = result["deployments"][1]
    assert (
        fixed != result["deployments"][0] and fixed in held["the paused trip completes on the fixed code"]["observed"]
    )
    once = held["flight, car and hotel booked once each, nothing cancelled"]["observed"]
    assert "'flight.book': 1, 'car.book': 1, 'hotel.book': 1, 'flight.cancel': 0" in once
    assert sorted(t["kept"]["name"] for t in result["plan"]["traps"]) == ["Book car", "Book flight"]


def test_restart_by_name_and_index_dry_run_and_refusals(serve, monkeypatch):
    monkeypatch.setenv("RESTATE_PLAY_LATENCY", '{"hotel.book:slow": 8}')  # a trip that stays running
    s = serve("sagas")
    env = {"XDG_STATE_HOME": s.env["XDG_STATE_HOME"]}
    admin = ["--admin-url", f"http://127.0.0.1:{s.admin}"]
    assert "fully booked" in s.curl(TRIP % "12345")
    listed = json.loads(cli("invocations", "list", "--json", *admin, env=env, check=True).stdout)
    (original,) = [i["id"] for i in listed]

    def count() -> int:
        return len(json.loads(cli("invocations", "list", "--json", *admin, env=env, check=True).stdout))

    # The dry run: kept and re-run entries, the trap with the world's evidence, and nothing started.
    plan = json.loads(
        cli(
            "invocations",
            "restart",
            original,
            "--from",
            "Book hotel",
            "--dry-run",
            "--json",
            *admin,
            env=env,
            check=True,
        ).stdout
    )
    assert [k["name"] for k in plan["kept"]] == ["Book flight", "Book car"] and plan["restate_from"] == 4
    assert [t["world"] for t in plan["traps"]] == [["flight.cancel customer=12345"], ["car.cancel customer=12345"]]
    text = " ".join(
        cli(
            "invocations", "restart", original[:12], "--from", "Book hotel", "--dry-run", *admin, env=env, check=True
        ).stdout.split()
    )
    assert "compensation trap" in text and "Cancel flight" in text and "from 0" in text
    assert count() == 1

    # By name: the new invocation kept the bookings (not run again in the world).
    by_name = cli("invocations", "restart", original, "--from", "Book hotel", *admin, env=env, check=True).stdout
    new = next(w for w in by_name.replace(",", " ").split() if w.startswith("inv_") and w != original)
    described = eventually(
        lambda: json.loads(cli("invocations", "describe", new, "--json", *admin, env=env, check=True).stdout),
        until=lambda d: d["status"] == "completed",
        timeout=20,
        interval=0.3,
        what=f"{new} completed",
    )
    assert [e["name"] for e in described["journal"] if e["kind"] == "Command"][1:3] == ["Book flight", "Book car"]
    # By index, attached: from #3 'Book car' runs again, so the car is booked a second time.
    attached = json.loads(
        cli("invocations", "restart", original, "--from", "3", "--attach", "--json", *admin, env=env, check=True).stdout
    )
    assert [k["name"] for k in attached["kept"]] == ["Book flight"] and attached["new"]["status"] == "completed"
    actions = [e.action for e in ledger.read(Path(s.sandbox["data_dir"]) / "ledger.jsonl")]
    assert (actions.count("flight.book"), actions.count("car.book"), actions.count("flight.cancel")) == (1, 2, 3)
    assert count() == 3

    # Refusals, each with what to do.
    past = cli("invocations", "restart", original, "--from", "99", *admin, env=env)
    assert past.returncode == 2 and "past the journal" in past.stderr and "0 to 13" in past.stderr
    unknown = cli("invocations", "restart", original, "--from", "0", "--deployment", "dp_nope", *admin, env=env)
    assert unknown.returncode == 2 and "Unknown deployment 'dp_nope'" in unknown.stderr and "dp_" in unknown.stderr
    slow = json.loads(s.curl((TRIP % "slow").replace("/run", "/run/send")))["invocationId"]
    eventually(
        lambda: json.loads(cli("invocations", "describe", slow, "--json", *admin, env=env, check=True).stdout),
        until=lambda d: d["status"] == "running",
        timeout=20,
        interval=0.2,
        what=f"{slow} running",
    )
    running = cli("invocations", "restart", slow, "--from", "0", *admin, env=env)
    assert running.returncode == 2 and "is running" in running.stderr and "completed invocation only" in running.stderr
    moved = cli("invocations", "resume", slow, "--deployment", "latest", *admin, env=env)
    assert moved.returncode == 2 and "paused or suspended" in moved.stderr
    done = cli("invocations", "resume", original, *admin, env=env)
    assert done.returncode == 2 and "nothing to resume" in done.stderr and "restart" in done.stderr
    s.stop()
