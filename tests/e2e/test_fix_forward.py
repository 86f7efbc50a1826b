"""Fixing forward on real servers: `fix-demo` as a person runs it; then, with the CLI against a
sandbox of the buggy trip saga: a paused trip resumed on a second, fixed deployment (every booking
once), restart-as-new by name and by index, a dry run that changes nothing and names the
compensation trap, and the refusals (a running invocation, an index past the journal, an unknown
deployment, a completed invocation to resume)."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest
from conftest import cli, run_json, stop_process_group

from restate_play.waiting import eventually
from restate_play.world import ledger

pytestmark = pytest.mark.e2e


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


@pytest.fixture
def trips(isolated_state, monkeypatch):
    """The fix-demo's saga, version 1 (the hotel step's bug pauses a trip), registered like a serve
    (so the CLI finds its ledger); version 2 (the fix) is started as a second deployment by the test."""
    from restate_play.commands.fix_demo import DEMOS
    from restate_play.sandbox import registry
    from restate_play.sandbox.sandbox import Sandbox, SandboxOptions
    from restate_play.sandbox.target import resolve

    monkeypatch.setenv("RESTATE_PLAY_LATENCY", '{"hotel.book:slow": 5}')  # a trip that stays running 5 s
    v1 = resolve(str(DEMOS / "trip_v1.py"))
    with Sandbox(v1.pattern, SandboxOptions(), target=v1) as sb, registry.registered("serve", sb.describe()):
        yield sb, resolve(str(DEMOS / "trip_v2.py"))


def test_resume_on_the_fix_restart_by_name_and_index_dry_run_and_refusals(trips):
    from restate_play.restate import sql as q
    from restate_play.restate.records import Invocation
    from restate_play.restate.sql import SqlClient
    from restate_play.sandbox.deployments import ExtraDeployment

    sb, v2 = trips
    admin = ["--admin-url", sb.admin_url]

    sql = SqlClient(sb.admin_url)  # waits and counts in-process; what the CLI prints is checked below

    def invocations() -> list[Invocation]:
        return sql.run(q.invocations())

    def described(inv_id: str, status: str) -> Invocation:
        return eventually(
            lambda: sql.run(q.invocation(inv_id)),
            until=lambda inv: inv is not None and inv.status == status,
            timeout=20,
            interval=0.1,
            what=f"{inv_id} {status}",
        )

    def world(customer: str) -> list[str]:
        return [e.action for e in ledger.read(sb.ledger_path) if e.args.get("customer") == customer]

    with httpx.Client(timeout=30) as http:
        paused = http.post(f"{sb.ingress_url}/BookingWorkflow/run/send", json=trip("alice", "2024-12-20")).json()
    paused = paused["invocationId"]
    described(paused, "paused")
    with ExtraDeployment(sb, v2) as fixed:
        resumed = cli("invocations", "resume", paused[:14], "--deployment", "latest", *admin, check=True).stdout
        assert f"resumed: {paused}" in resumed and "(was paused)" in resumed
        assert described(paused, "completed").completion_result == "success"
        assert sorted(world("alice")) == ["car.book", "flight.book", "hotel.book"]  # each once, none undone

        with httpx.Client(timeout=30) as http:
            assert "fully booked" in http.post(f"{sb.ingress_url}/BookingWorkflow/run", json=trip("12345")).text
        original = next(i.id for i in invocations() if i.completion_result == "failure")
        before = len(invocations())
        # The dry run: kept and re-run entries, the trap with the world's evidence, and nothing started.
        plan = json.loads(
            cli(
                "invocations", "restart", original, "--from", "Book hotel", "--dry-run", "--json", *admin, check=True
            ).stdout
        )
        assert [k["name"] for k in plan["kept"]] == ["Book flight", "Book car"] and plan["restate_from"] == 4
        assert [t["world"] for t in plan["traps"]] == [["flight.cancel customer=12345"], ["car.cancel customer=12345"]]
        text = " ".join(
            cli(
                "invocations", "restart", original[:12], "--from", "Book hotel", "--dry-run", *admin, check=True
            ).stdout.split()
        )
        assert "compensation trap" in text and "Cancel flight" in text and "from 0" in text
        assert len(invocations()) == before

        # By name: the new invocation kept the bookings (not run again in the world), linked to its original.
        by_name = cli("invocations", "restart", original, "--from", "Book hotel", *admin, check=True).stdout
        new = next(w for w in by_name.replace(",", " ").split() if w.startswith("inv_") and w != original)
        described(new, "completed")
        again = json.loads(cli("invocations", "describe", new, "--json", *admin, check=True).stdout)
        assert again["restarted_from"] == original
        assert [e["name"] for e in again["journal"] if e["kind"] == "Command"][1:3] == ["Book flight", "Book car"]
        # By index, attached: from #3 'Book car' runs again, so the car is booked a second time.
        attached = json.loads(
            cli("invocations", "restart", original, "--from", "3", "--attach", "--json", *admin, check=True).stdout
        )
        assert [k["name"] for k in attached["kept"]] == ["Book flight"] and attached["new"]["status"] == "completed"
        booked = world("12345")
        assert (booked.count("flight.book"), booked.count("car.book"), booked.count("flight.cancel")) == (1, 2, 3)
        assert len(invocations()) == before + 2

        # Refusals, each with what to do (in-process: the same command, without a Python start each).
        past = refused("invocations", "restart", original, "--from", "99", *admin)
        assert "past the journal" in past and "0 to 13" in past
        unknown = refused("invocations", "restart", original, "--from", "0", "--deployment", "dp_nope", *admin)
        assert "Unknown deployment 'dp_nope'" in unknown and fixed.deployment_id in unknown  # those that exist
        with httpx.Client(timeout=30) as http:
            slow = http.post(f"{sb.ingress_url}/BookingWorkflow/run/send", json=trip("slow", "2024-12-20")).json()
        slow = slow["invocationId"]
        described(slow, "running")
        running = refused("invocations", "restart", slow, "--from", "0", *admin)
        assert "is running" in running and "completed invocation only" in running
        assert "paused or suspended" in refused("invocations", "resume", slow, "--deployment", "latest", *admin)
        done = refused("invocations", "resume", original, *admin)
        assert "nothing to resume" in done and "restart" in done


def refused(*args: str) -> str:
    """The command's error (exit code 2), as one line."""
    from typer.testing import CliRunner

    from restate_play.cli import app

    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 2, result.output
    return " ".join(result.output.split())


def trip(customer: str, arrival: str = "2024-12-16") -> dict:
    """The document's trip; arrival 2024-12-16 is fully booked (a terminal error, so it compensates)."""
    from restate_play.commands.fix_demo import trip as make

    return make(customer, arrival, "2024-12-23")


BUGGY = """
from datetime import timedelta

import restate
from restate import InvocationRetryPolicy

policy = InvocationRetryPolicy(initial_interval=timedelta(milliseconds=100), max_attempts=3, on_max_attempts="pause")
greeter = restate.Service("Greeter", invocation_retry_policy=policy)


@greeter.handler()
async def greet(ctx: restate.Context, name: str) -> str:
    first = await ctx.run_typed("first", lambda: "hello")
    return await ctx.run_typed("second", lambda: first + " " + name.upper_case())
"""


def test_serve_watch_resumes_the_paused_invocations_on_the_saved_fix(tmp_path):
    from restate_play.loopback_http import loopback_client
    from restate_play.restate import sql as q
    from restate_play.restate.sql import SqlClient
    from restate_play.sandbox.ports import free_ports

    app = tmp_path / "app.py"
    app.write_text(BUGGY)
    ingress, admin, service, fabric = free_ports(4)
    ports = ["--ingress-port", ingress, "--admin-port", admin, "--service-port", service, "--fabric-port", fabric]
    log = tmp_path / "serve.log"
    cmd = [sys.executable, "-P", "-m", "restate_play", "serve", "app.py", "--watch", "--resume-paused"]
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [*cmd, *map(str, ports)], cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    sql = SqlClient(f"http://127.0.0.1:{admin}")

    def status(inv_id: str) -> str | None:
        inv = sql.run(q.invocation(inv_id))
        return inv.status if inv else None

    try:
        eventually(log.read_text, until=lambda t: "Ctrl-C stops everything" in t, timeout=60, what="serve ready")
        with loopback_client(timeout=10.0) as http:
            inv_id = http.post(f"http://127.0.0.1:{ingress}/Greeter/greet/send", json="ann").json()["invocationId"]
        eventually(lambda: status(inv_id), until=lambda s: s == "paused", timeout=30, interval=0.2, what="paused")
        app.write_text(BUGGY.replace("name.upper_case()", "name.upper()"))  # the fix, saved
        resumed = f"▶ {inv_id} Greeter/greet: resumed on the new deployment"
        eventually(log.read_text, until=lambda t: resumed in t, timeout=60, what="the resume after the reload")
        eventually(lambda: status(inv_id), until=lambda s: s == "completed", timeout=20, interval=0.2, what="done")
        with loopback_client(timeout=10.0) as http:
            assert http.get(f"http://127.0.0.1:{ingress}/restate/invocation/{inv_id}/output").json() == "hello ANN"
    finally:
        stop_process_group(proc, timeout=30)
