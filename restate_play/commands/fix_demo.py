"""`restate-play fix-demo`: fix forward, narrated on a real restate-server.

1. A trip saga whose hotel step has a bug (version 1) retries, then *pauses*, journal intact.
2. The fix (version 2) is deployed beside it: a second deployment of the same service, as a
   user's `--watch` save would make. The paused trip resumes on the latest deployment and
   completes; the ledger shows flight, car and hotel booked once and nothing cancelled.
3. A trip that fails for good (a TerminalError: the hotel is fully booked) compensates. Restarting
   it from "Book hotel" would keep the cancelled bookings as done: the dry run names that trap and
   the right move.

Every claim is checked against the world ledger and Restate's journal; exit 0 when all held.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from restate_play.commands.fix_forward import resume, wait_completed
from restate_play.errors import PlayError
from restate_play.loopback_http import loopback_client
from restate_play.restate import sql as q
from restate_play.restate.restart_plan import RestartPlan, entry_index, plan
from restate_play.restate.sql import SqlClient
from restate_play.world import ledger

DEMOS = Path(__file__).resolve().parent.parent / "demos"
PAUSE_WITHIN = 30.0


def trip(customer: str, arrival: str, departure: str) -> dict[str, Any]:
    return {
        "customerId": customer,
        "flights": {"flightId": "12345", "passengerName": "John Doe"},
        "car": {"pickupLocation": "Airport", "rentalDate": arrival},
        "hotel": {"arrivalDate": arrival, "departureDate": departure},
    }


FIXABLE = trip("alice", "2024-12-20", "2024-12-23")
FULLY_BOOKED = trip("bob", "2024-12-16", "2024-12-20")  # the travel world has no room that night


@dataclass
class Check:
    what: str
    ok: bool
    observed: str


@dataclass
class Demo:
    """What the narration saw, for the summary and --json."""

    out: Console
    checks: list[Check] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def say(self, text: str, style: str = "") -> None:
        self.out.print(Text(text, style=style), soft_wrap=True)

    def check(self, what: str, ok: bool, observed: str) -> None:
        self.checks.append(Check(what, ok, observed))
        self.say(f"{'✔' if ok else '✗'} {what}: {observed}", "green" if ok else "bold red")

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "checks": [asdict(c) for c in self.checks], **self.facts}


def fix_demo(out: Console, status) -> Demo:
    from restate_play.sandbox.deployments import ExtraDeployment
    from restate_play.sandbox.sandbox import Sandbox, SandboxOptions
    from restate_play.sandbox.target import resolve

    demo = Demo(out)
    v1, v2 = resolve(str(DEMOS / "trip_v1.py")), resolve(str(DEMOS / "trip_v2.py"))
    with Sandbox(v1.pattern, SandboxOptions(), status=status, target=v1) as sb:
        demo.say(f"Version 1 of BookingWorkflow is deployed ({sb.deployment_id}): its hotel step has a bug.", "bold")
        sql = SqlClient(sb.admin_url)
        paused = pause_a_trip(demo, sb, sql)
        with ExtraDeployment(sb, v2) as fixed:
            demo.facts["deployments"] = [sb.deployment_id, fixed.deployment_id]
            demo.say(
                f"The fix, version 2, is deployed beside it ({fixed.deployment_id}, {fixed.service.url}): "
                "the latest deployment of BookingWorkflow.",
                "bold",
            )
            resume_on_fix(demo, sb, sql, paused, fixed.deployment_id)
            compensated = compensate_a_trip(demo, sb, sql)
            show_the_trap(demo, sb, sql, compensated)
    return demo


def pause_a_trip(demo: Demo, sb, sql: SqlClient) -> str:
    demo.say(f"Trip for alice: curl {sb.ingress_url}/BookingWorkflow/run/send --json '…'")
    with loopback_client(timeout=10.0) as http:
        inv_id = http.post(f"{sb.ingress_url}/BookingWorkflow/run/send", json=FIXABLE).json()["invocationId"]
    demo.facts["paused_trip"] = inv_id
    sent = time.monotonic()
    deadline, seen = sent + PAUSE_WITHIN, -1
    inv = None
    while time.monotonic() < deadline:
        inv = sql.run(q.invocation(inv_id))
        if inv is not None and inv.retry_count != seen and inv.last_failure:
            seen = inv.retry_count
            error = inv.last_failure.split(": ", 1)[-1].strip()[:100]
            demo.say(f"  ↻ attempt {inv.retry_count}: {inv.status}: {error}", "yellow")
        if inv is not None and inv.status == "paused":
            break
        time.sleep(0.1)
    got = inv.status if inv else "not found"
    demo.facts.setdefault("seconds", {})["send_to_paused"] = round(time.monotonic() - sent, 2)
    demo.check("the buggy trip retries, then pauses", got == "paused", f"{inv_id} is {got}")
    if inv is not None:  # paused with its journal intact: the bookings done, the hotel step failing
        from restate_play.views.journal import journal_tree

        demo.out.print(journal_tree(inv, sql.run(q.journal(inv_id))))
    counts = booked(sb, "alice")
    demo.check(
        "its flight and car were booked before the bug (once each)",
        counts["flight.book"] == 1 and counts["car.book"] == 1,
        f"ledger: {counts}",
    )
    return inv_id


def booked(sb, customer: str) -> dict[str, int]:
    actions = [e.action for e in ledger.read(sb.ledger_path) if e.args.get("customer") == customer]
    names = ("flight.book", "car.book", "hotel.book", "flight.cancel", "car.cancel", "hotel.cancel")
    return {name: actions.count(name) for name in names}


def pinned_deployment(sql: SqlClient, inv_id: str) -> str | None:
    rows = sql.rows(f"SELECT pinned_deployment_id FROM sys_invocation WHERE id = {q.sql_str(inv_id)}")
    return rows[0].get("pinned_deployment_id") if rows else None


def resume_on_fix(demo: Demo, sb, sql: SqlClient, inv_id: str, fixed_id: str | None) -> None:
    from restate_play.views.journal import journal_tree

    demo.say(f"restate-play invocations resume {inv_id} --deployment latest", "bold")
    paused = sql.run(q.invocation(inv_id))
    if paused is None:
        raise PlayError(f"{inv_id} is not known to Restate any more.")
    resumed = time.monotonic()
    resume(sb.admin_url, paused, "latest")
    inv = wait_completed(sql, inv_id, 30.0)
    demo.facts.setdefault("seconds", {})["resume_to_completed"] = round(time.monotonic() - resumed, 2)
    demo.out.print(journal_tree(inv, sql.run(q.journal(inv_id))))
    on = pinned_deployment(sql, inv_id)
    demo.check(
        "the paused trip completes on the fixed code",
        inv.completion_result == "success" and on == fixed_id,
        f"{inv_id} {inv.completion_result or inv.status}, on deployment {on}",
    )
    counts = booked(sb, "alice")
    once = all(counts[a] == 1 for a in ("flight.book", "car.book", "hotel.book"))
    undone = sum(counts[a] for a in ("flight.cancel", "car.cancel", "hotel.cancel"))
    demo.check("flight, car and hotel booked once each, nothing cancelled", once and not undone, f"ledger: {counts}")


def compensate_a_trip(demo: Demo, sb, sql: SqlClient) -> str:
    demo.say("Now a failure that is terminal: bob's hotel is fully booked (a TerminalError), so the saga compensates.")
    with loopback_client(timeout=30.0) as http:
        resp = http.post(f"{sb.ingress_url}/BookingWorkflow/run", json=FULLY_BOOKED)
    inv_id = resp.headers.get("x-restate-id", "")
    demo.facts["compensated_trip"] = inv_id
    demo.say(f"  answer {resp.status_code}: {resp.text[:100]}")
    wait_completed(sql, inv_id, 30.0)
    counts = booked(sb, "bob")
    demo.check(
        "the terminal failure cancelled the flight and the car",
        counts["flight.cancel"] == 1 and counts["car.cancel"] == 1,
        f"ledger: {counts}",
    )
    return inv_id


def show_the_trap(demo: Demo, sb, sql: SqlClient, inv_id: str) -> None:
    from restate_play.views.restart import restart_plan_view

    journal = sql.run(q.journal(inv_id))
    demo.say(f'Tempting, once the hotel has rooms: restate-play invocations restart {inv_id} --from "Book hotel"')
    trap = plan(inv_id, journal, entry_index(journal, "Book hotel"), ledger.read(sb.ledger_path))
    demo.out.print(restart_plan_view(trap))
    demo.facts["plan"] = trap.to_dict()
    trapped = sorted(t.kept.name for t in trap.traps)
    demo.check(
        "the dry run names the compensation trap", trapped == ["Book car", "Book flight"], f"kept but undone: {trapped}"
    )
    right: RestartPlan = plan(inv_id, journal, trap.safe_from or 0)
    start = right.restart_at if right.kept else 0  # nothing kept before the first booking: start over
    demo.say(
        f"The right move: restate-play invocations restart {inv_id} --from {start} "
        "(every booking runs again, so the new journal matches the world), or a new request.",
        "bold",
    )
    demo.check("restarting from before the first booking sets no trap", not right.traps, f"{len(right.traps)} traps")


def print_summary(demo: Demo, out: Console) -> None:
    held = sum(c.ok for c in demo.checks)
    style = "bold green" if demo.passed else "bold red"
    out.print(Text(f"fix-demo: {held}/{len(demo.checks)} checks held", style=style))
