"""expect_state, expect_journal, expect_invocation, expect_invocations: validation and verdicts on records."""

import pytest
from scenario_helpers import rejected, step

from restate_play.restate.records import Invocation, JournalEntry, JournalEvent, StateEntry
from restate_play.scenario.actions.records import InvocationSeen

LABELLED = '[[step]]\ncall = "S/h"\nas = "trip"\n'


def labelled(text: str):
    from scenario_helpers import steps

    return steps(LABELLED + text)[1]


def inv(status: str = "completed", result: str | None = "success", retries: int = 0) -> Invocation:
    return Invocation("inv_1", "S/h", "S", "h", None, status, retry_count=retries, completion_result=result)


@pytest.mark.parametrize(
    "text, fragments",
    [
        ('[[step]]\nexpect_state = { service = "s" }\n', ["(expect_state)", "'expect_state.key'", "required"]),
        ('[[step]]\nexpect_state = { service = "s", key = "k", values = [1] }\n', ["'expect_state.values'", "a table"]),
        ('[[step]]\nexpect_state = { service = "s", key = "k", absent = "x" }\n', ["'expect_state.absent'", "a list"]),
        ('[[step]]\nexpect_state = "s/k"\n', ["'expect_state'", "a table"]),
        ('[[step]]\nexpect_state = { service = "s", key = "k" }\ntimeout = -1\n', ["'timeout'", "≥ 0"]),
        ('[[step]]\nexpect_journal = { of = "ghost" }\n', ["'of'", "earlier step", "ghost"]),
        (LABELLED + '[[step]]\nexpect_journal = { of = "trp" }\n', ["'of'", "Did you mean 'trip'?"]),
        (LABELLED + '[[step]]\nexpect_journal = { of = "trip", entries = "Book" }\n', ["'expect_journal.entries'"]),
        (LABELLED + '[[step]]\nexpect_invocation = { of = "trip", result = "ok" }\n', ["'success' or 'failure'"]),
        (LABELLED + '[[step]]\nexpect_invocation = { of = "trip", transient_errors = 1 }\n', ["true or false"]),
        (
            '[[step]]\nexpect_invocations = { target = "S/h", count = 1, result = "ok" }\n',
            ["'expect_invocations.result'"],
        ),
        ('[[step]]\nexpect_invocations = { target = "S/h" }\n', ["'expect_invocations.count'", "required"]),
    ],
)
def test_record_checks_reject_with_the_field(text, fragments):
    rejected(text, *fragments)


def test_expect_state_values_and_absent_keys():
    check = step('[[step]]\nexpect_state = { service = "S", key = "k", values = { n = 2 }, absent = ["gone"] }\n')
    assert check.judge([StateEntry("S", "k", "n", "2")]).ok
    verdict = check.judge([StateEntry("S", "k", "n", "3"), StateEntry("S", "k", "gone", '"x"')])
    assert not verdict.ok and "n = 3, expected 2" in verdict.observed and "gone present" in verdict.observed
    assert "n missing" in check.judge([]).observed


def command(index: int, name: str, type_: str = "Run", completed: bool = True) -> JournalEntry:
    return JournalEntry(index, "Command", type_, name, completed=completed)


def test_expect_journal_order_and_absent_steps():
    check = labelled(
        '[[step]]\nexpect_journal = { of = "trip", entries = ["Book flight", "Sleep"], absent = ["Book car"] }\n'
    )
    journal = [command(0, "", "Input"), command(1, "Book flight"), command(2, "", "Sleep")]
    assert check.judge(journal).ok
    assert not check.judge([command(0, "", "Sleep"), command(1, "Book flight")]).ok  # wrong order
    assert not check.judge([*journal, command(3, "Book car")]).ok
    missing = check.judge(None)
    assert not missing.ok and missing.observed == "invocation not found"


def test_expect_invocation_status_result_and_retries():
    check = labelled('[[step]]\nexpect_invocation = { of = "trip", status = "completed", result = "success" }\n')
    assert check.judge(InvocationSeen(inv(), [])).ok
    assert not check.judge(InvocationSeen(inv(result="failure"), [])).ok
    assert check.judge(InvocationSeen(None, [])).observed == "not found"
    retried = labelled('[[step]]\nexpect_invocation = { of = "trip", transient_errors = true }\n')
    assert not retried.judge(InvocationSeen(inv(), [])).ok
    assert retried.judge(InvocationSeen(inv(), [JournalEvent(1, "TransientError", None)])).ok
    assert retried.judge(InvocationSeen(inv(retries=2), [])).ok


def test_expect_invocations_counts_by_status_and_result():
    check = step('[[step]]\nexpect_invocations = { target = "S/h", count = 2, result = "success" }\n')
    rows = [inv(), inv(), inv(result="failure")]
    assert check.judge(rows).ok
    verdict = check.judge(rows[:1])
    assert not verdict.ok and verdict.observed == "1 found" and verdict.expectation == "2 success invocation(s) of S/h"


def test_templated_keys_are_filled():
    from scenario_helpers import steps

    _, state = steps(
        '[[step]]\ncall = "S/h"\ncapture = { job = "(.*)" }\n'
        '[[step]]\nexpect_state = { service = "CronJob", key = "{job}", absent = ["job"] }\n'
    )
    assert state.filled(lambda t: t.replace("{job}", "j9")).expect_state.key == "j9"
    rejected('[[step]]\nexpect_invocations = { target = "CronJob/{other}/execute", count = 1 }\n', "'{other}'")
