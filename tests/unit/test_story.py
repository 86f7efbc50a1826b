"""The end of a run in words (views/story.py), from synthetic records: no sandbox."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

from rich.cells import cell_len
from rich.console import Console

from restate_play.commands.run import print_narration, print_summary
from restate_play.scenario.result import Check, RunResult
from restate_play.views.story import journal_legend, legend_items, story_lines, story_text, wrap_items

T0 = 1_796_000_000.0
TRIP = "inv_1trip000000000000000000000000000000"


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def entry(index: int, kind: str, type_: str, at: float, name: str = "", cid: int | None = None) -> dict:
    return {
        "index": index,
        "kind": kind,
        "type": type_,
        "name": name,
        "completion_id": cid,
        "result": "success" if kind == "Notification" else None,
        "value": '"ok"' if kind == "Notification" else None,
        "failure": None,
        "appended_at": iso(at),
        "detail": {},
        "completed": kind == "Command",
    }


def invocation(inv_id: str, journal: list[dict], events: list[dict] = (), **fields) -> dict:
    base = {
        "id": inv_id,
        "target": "BookingWorkflow/run",
        "service": "BookingWorkflow",
        "handler": "run",
        "key": None,
        "status": "completed",
        "completion_result": "success",
        "completion_failure": None,
        "retry_count": 0,
    }
    return {**base, **fields, "journal": journal, "events": list(events)}


def transient(at: float, message: str, step: str | None = None) -> dict:
    detail = {"ty": "TransientError", "error_message": message}
    if step:
        detail["related_command_name"] = step
    return {"index": 3, "type": "TransientError", "appended_at": iso(at), "detail": detail}


def trip_journal() -> list[dict]:
    """Book flight and Book car journaled before the crash (at T0+0.3), Book hotel after."""
    return [
        entry(0, "Command", "Input", T0),
        entry(1, "Command", "Run", T0 + 0.10, "Book flight", 1),
        entry(2, "Notification", "Run", T0 + 0.15, cid=1),
        entry(3, "Command", "Run", T0 + 0.20, "Book car", 2),
        entry(4, "Notification", "Run", T0 + 0.25, cid=2),
        entry(5, "Command", "Run", T0 + 0.28, "Book hotel", 3),
        entry(6, "Notification", "Run", T0 + 1.50, cid=3),
        entry(7, "Command", "Output", T0 + 1.60),
    ]


def ledger_line(seq: int, at: float, action: str, inv_id: str = TRIP, **args) -> dict:
    return {"seq": seq, "ts": at, "action": action, "args": args, "invocation": inv_id}


def crashed_trip(**changes) -> RunResult:
    result = RunResult("sagas", "sagas", "a trip that survives a crash")
    result.requests = [
        {"target": "BookingWorkflow/run", "kind": "call", "label": "trip", "invocation_id": TRIP, "status": 200}
    ]
    events = [
        transient(T0 + 0.18, "ProviderUnavailable('car.book API unavailable, try again')", step="Book car"),
        transient(T0 + 0.29, "stream closed because of a broken pipe"),  # journaled as the kill happens
        transient(T0 + 0.50, "h2 pool connection error: Connection refused (os error 111)"),
    ]
    result.invocations = [invocation(TRIP, trip_journal(), events)]
    result.crashes = [
        {"target": "service", "at": T0 + 0.30, "of": "trip", "after_entry": "Book car", "restarted_at": T0 + 0.70}
    ]
    result.ledger = [
        ledger_line(1, T0 + 0.12, "flight.book", customer="67890"),
        ledger_line(2, T0 + 0.17, "fault.injected", point="car.book:67890"),
        ledger_line(3, T0 + 0.22, "car.book", customer="67890"),
        ledger_line(4, T0 + 1.40, "hotel.book", customer="67890"),
    ]
    result.checks = [Check(1, "call BookingWorkflow/run → 200", True, "got 200")]
    for name, value in changes.items():
        setattr(result, name, value)
    return result


def test_a_crash_is_told_with_its_restart_retries_and_what_did_not_run_again():
    lines = story_lines(crashed_trip())
    assert 3 <= len(lines) <= 5, lines
    assert lines[0] == "1 request started 1 invocation of BookingWorkflow/run: 1 succeeded."
    assert lines[1] == (
        "The service was killed (SIGKILL) right after 'trip' journaled 'Book car', and restarted 0.4s later."
    )
    # The two failed attempts of the crash, not the car API's own failure before it.
    assert lines[2].startswith("Restate retried 'trip' twice while the service was down, then the restarted service")
    assert lines[2].endswith("replayed its journal and it completed.")
    assert lines[3] == (
        "'Book flight' and 'Book car' were journaled before the crash and did not run again: "
        "the ledger shows flight.book 1×, car.book 1×."
    )
    assert lines[4] == "Restate retried 'trip' once after 'Book car' failed (car.book API unavailable, try again)."


def test_a_journaled_step_that_ran_twice_is_said_so():
    result = crashed_trip()
    result.ledger.insert(3, ledger_line(9, T0 + 0.9, "flight.book", customer="67890"))
    lines = story_lines(result)
    assert "'Book flight' and 'Book car' were journaled before the crash and ran again" in lines[3]
    assert "flight.book 2×" in lines[3]


def test_a_step_under_way_at_the_crash_may_run_twice_at_least_once():
    result = crashed_trip()
    result.ledger.insert(3, ledger_line(8, T0 + 0.29, "hotel.book", customer="67890"))  # before the kill
    lines = story_lines(result)
    assert any(line.startswith("hotel.book ran 2×: it was under way when the crash hit") for line in lines), lines


def test_a_crash_without_a_restart_and_an_invocation_still_waiting():
    result = crashed_trip()
    result.invocations[0].update(journal=trip_journal()[:5], status="backing-off", completion_result=None)
    result.crashes[0].pop("restarted_at")
    lines = story_lines(result)
    assert lines[0].endswith(": 1 backing-off.")
    assert lines[1].endswith("and not restarted.")
    assert lines[2] == "Restate retried 'trip' twice; with the service still down, it is still backing-off."


def test_the_service_crashing_on_its_own_is_told_with_the_fault_and_the_invocation_it_hit():
    down = "inv_1down00000000000000000000000000000"
    other = "inv_1other0000000000000000000000000000"
    journal = [
        entry(0, "Command", "Input", T0),
        entry(1, "Command", "Run", T0 + 0.1, "Begin DOWN", 1),
        entry(2, "Notification", "Run", T0 + 0.2, cid=1),
        entry(3, "Command", "Sleep", T0 + 2.0, "Transition to DOWN", 2),
        entry(4, "Notification", "Sleep", T0 + 2.5, cid=2),
        entry(5, "Command", "Output", T0 + 2.6),
    ]
    result = RunResult("stateful-actors", "stateful-actors", "machines")
    obj = {"service": "machineOperator", "handler": "tearDown"}
    result.invocations = [
        # An invocation running at the same time: not the one the crash hit (the fault names it).
        invocation(other, [entry(0, "Command", "Input", T0 - 1), entry(1, "Command", "Output", T0 + 3)],
                   target="machineOperator/a/tearDown", key="a", **obj),
        invocation(down, journal, [transient(T0 + 0.4, "broken pipe"), transient(T0 + 0.9, "refused")],
                   target="machineOperator/b/tearDown", key="b", **obj),
    ]  # fmt: skip
    result.requests = [
        {"target": "machineOperator/b/tearDown", "kind": "call", "label": "b-down", "invocation_id": down},
        {"target": "machineOperator/a/tearDown", "kind": "call", "label": "a-down", "invocation_id": other},
    ]
    result.ledger = [
        ledger_line(1, T0 + 0.15, "machine.begin", down, machine="b", to="DOWN"),
        ledger_line(2, T0 + 0.30, "fault.injected", down, point="machine.crash.DOWN:b"),
        ledger_line(3, T0 + 2.55, "machine.done", down, machine="b", to="DOWN"),
    ]
    result.service_exits = [{"target": "service", "at": T0 + 0.5}]  # seen a moment after the fault
    lines = story_lines(result)
    assert lines[0] == "2 requests started 2 invocations of machineOperator/tearDown: 2 succeeded."
    assert lines[1] == (
        "The service process crashed on its own (fault 'machine.crash.DOWN:b') while 'b-down' ran, "
        "and the playground restarted it."
    )
    assert lines[2].startswith("Restate retried 'b-down' twice while the service was down")
    assert lines[3] == (
        "'Begin DOWN' was journaled before the crash and did not run again: the ledger shows machine.begin 1×."
    )
    assert lines[4].startswith("The world ledger recorded 3 actions: machine.begin 1×, fault.injected 1×")


def test_a_quiet_run_tells_its_traffic_world_and_state_and_a_failure_comes_last():
    result = RunResult("durable-rpc", "durable-rpc", "calls")
    inv = invocation("inv_1a", [entry(0, "Command", "Input", T0)], target="product/p1/reserve", key="p1",
                     service="product", handler="reserve")  # fmt: skip
    result.invocations = [inv, {**inv, "id": "inv_1b", "completion_result": "failure",
                                "completion_failure": "[409] Product already reserved"}]  # fmt: skip
    result.requests = [
        {"kind": "call", "label": None, "invocation_id": "inv_1a"},
        {"kind": "publish", "label": None},
        {"kind": "publish", "label": None},
    ]
    result.ledger = [ledger_line(1, T0, "product.reserved", "inv_1a", product="p1")]
    result.state = [{"service": "product", "key": "p1", "name": "reserved", "value": True, "json": True}]
    result.checks = [Check(1, "a", True), Check(2, "state product/p1: reserved = false", False, "got true")]
    lines = story_lines(result)
    assert lines == [
        "1 request and 2 Kafka records started 2 invocations of product/reserve: 1 succeeded, 1 failed "
        "([409] Product already reserved).",
        "The world ledger recorded 1 action: product.reserved 1×.",
        "Restate keeps the state: product/p1 reserved = true.",
        "1 of 2 expectations did not hold, first 'state product/p1: reserved = false': got true.",
    ]
    result.error = "step 3 (call): the ingress did not answer"
    assert story_lines(result)[-1] == "The run stopped: step 3 (call): the ingress did not answer."


def test_story_lines_are_never_more_than_five():
    result = crashed_trip()
    second = {"target": "server", "at": T0 + 1.0, "of": None, "after_entry": None, "restarted_at": T0 + 2.0}
    result.crashes.append(second)
    result.checks.append(Check(2, "x", False, "y"))
    lines = story_lines(result)
    assert len(lines) == 5 and lines[-1].startswith("1 of 2 expectations did not hold")


def render(renderable, width: int = 80) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, highlight=False)
    console.print(renderable)
    return console.file.getvalue()


def test_story_at_80_columns_wraps_between_words_under_its_bullet():
    lines = story_lines(crashed_trip())
    text = render(story_text(lines))
    rows = text.splitlines()
    assert all(cell_len(row) <= 80 and row == row.rstrip() for row in rows)
    assert sum(row.startswith("• ") for row in rows) == len(lines)
    assert all(row.startswith(("• ", "  ")) for row in rows)
    # Every word of every sentence is there whole: wrapping only ever happened at a space.
    assert text.replace("•", "").split() == " ".join(lines).split()


def test_legend_names_only_the_marks_the_journals_show():
    assert [icon for icon, _ in legend_items("#0  ▶ Input\n#1  ⚙ Run [a]  ⇒ 1\n#3  ✗ ClearState")] == ["⇒", "#n"]
    shown = "#1  ⚙ Run [a]  ✓\n#3  ⏱ Sleep  … pending\n↻ retry 2: boom\n#5 ⚙ Run [b]  ✗ [500] no"
    assert [icon for icon, _ in legend_items(shown)] == ["✓", "✗", "…", "↻", "#n"]


def test_legend_lines_fit_the_width_and_keep_items_whole():
    items = [f"{icon} {words}" for icon, words in legend_items("⇒ ✓ ✗ … pending ↻ #1")]
    for width in (40, 60, 80):
        lines = wrap_items(items, width)
        assert all(cell_len(line) <= width for line in lines), lines
        joined = " ".join(lines)
        assert all(item in joined for item in items)
    assert len(wrap_items(items[:4], 80)) == 1


def test_the_report_has_the_legend_the_story_then_the_verdict_at_80_columns():
    result = crashed_trip()
    result.story = story_lines(result)
    text = render_summary(result)
    legend = text.index("Legend: ⇒ result · ✓ done · #n journal index")
    story = text.index("What just happened")
    killed = text.index("The service was killed (SIGKILL)")
    verdict = text.index("PASSED: 1/1 expectations held")
    assert text.index("Journals") < legend < story < killed < verdict


def render_summary(result: RunResult) -> str:
    console = Console(file=io.StringIO(), width=80, color_system=None, highlight=False)
    print_summary(result, console)
    return console.file.getvalue()


def test_journal_legend_renders_one_line_for_a_usual_journal():
    result = crashed_trip()
    text = render_summary(result)
    rows = [row for row in text.splitlines() if row.startswith("Legend:")]
    assert len(rows) == 1 and cell_len(rows[0]) <= 80
    assert render(journal_legend([])).strip() == "Legend:"


def test_narration_keeps_curl_lines_whole_and_outside_boxes():
    curl = "    $ curl localhost:8080/BookingWorkflow/run --json '" + '{"customerId": "12345", ' * 6 + "}'"
    console = Console(file=io.StringIO(), width=80, color_system=None, highlight=False)
    print_narration(["[1/2] +0.0s Book a trip", curl, "    · +0.9s 💥 service killed (SIGKILL)"], console)
    out = console.file.getvalue().splitlines()
    assert out[1] == curl  # one logical line, soft-wrapped by the terminal only
    assert not re.search("[│╭╮╰╯┃]", "".join(out))
    assert out[2] == "    · +0.9s 💥 service killed (SIGKILL)"


def test_a_kill_that_names_no_invocation_tells_those_in_flight():
    result = crashed_trip()
    result.crashes[0].update(of=None, after_entry=None)
    result.requests = []  # e.g. sent through a client app: no label, no id
    result.invocations[0].update(created_at=iso(T0), completed_at=iso(T0 + 1.6))
    lines = story_lines(result)
    # The only invocation under way at the kill is the one it hit: told in full.
    assert lines[1] == "The service was killed (SIGKILL) while BookingWorkflow/run ran, and restarted 0.4s later."
    assert lines[2].startswith("Restate retried BookingWorkflow/run twice while the service was down")
    assert lines[3].startswith("'Book flight' and 'Book car' were journaled before the crash and did not run again")
    second = {**result.invocations[0], "id": "inv_1second", "events": [transient(T0 + 0.6, "refused")]}
    done_before = {**result.invocations[0], "id": "inv_1early", "completed_at": iso(T0 + 0.2), "events": []}
    result.invocations += [second, done_before]
    lines = story_lines(result)
    assert lines[1] == "The service was killed (SIGKILL), and restarted 0.4s later."
    assert lines[2] == (
        "2 invocations were in flight (BookingWorkflow/run, BookingWorkflow/run); Restate retried them 3 times "
        "while the service was down, and in the end both succeeded."
    )

    result.invocations = [done_before]
    assert story_lines(result)[2] == "No invocation was under way when the service went down."


def test_several_failure_messages_show_only_the_first():
    result = RunResult("p", "p", "t")
    failed = invocation("inv_1a", [], completion_result="failure", completion_failure="[500] Payment declined")
    result.invocations = [failed, {**failed, "id": "inv_1b", "completion_failure": "[500] Card expired"}]
    assert story_lines(result)[0] == (
        "No requests started 2 invocations of BookingWorkflow/run: 2 failed (the first: [500] Payment declined)."
    )


def test_notes_carry_their_time_and_continuation_rows_keep_their_columns():
    from restate_play.commands.run import NarrationReporter

    lines: list[str] = []
    reporter = NarrationReporter(lines.append, total_steps=1)
    reporter.note("💥 service killed (SIGKILL)")
    reporter.note("  userid | name")  # an SQL answer's row, under the query
    assert re.fullmatch(r"    · \+\d+\.\ds 💥 service killed \(SIGKILL\)", lines[0])
    assert lines[1] == "    ·   userid | name"


def test_the_service_dying_on_its_own_is_recorded_and_narrated():
    import asyncio
    from types import SimpleNamespace

    from restate_play.commands.run import NarrationReporter, _watch_service_exits

    async def main() -> tuple[RunResult, list[str]]:
        sandbox = SimpleNamespace(unexpected_service_exits=0)  # the supervisor counts its restarts
        result, lines = RunResult("p", "p", "t"), []
        watcher = asyncio.create_task(_watch_service_exits(sandbox, result, NarrationReporter(lines.append, 1)))
        await asyncio.sleep(0.15)
        sandbox.unexpected_service_exits = 1
        await asyncio.sleep(0.3)
        watcher.cancel()
        return result, lines

    result, lines = asyncio.run(main())
    assert len(result.service_exits) == 1 and result.service_exits[0]["target"] == "service"
    assert len(lines) == 1 and "💥 the service process exited on its own" in lines[0]
