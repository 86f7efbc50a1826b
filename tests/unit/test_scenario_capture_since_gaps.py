"""Scenario steps for values captured from answers ({name} in targets) and ledger timing (since, gaps)."""

import pytest
from conftest import write_scenario as write

from restate_play.scenario.model import ScenarioError, load
from restate_play.scenario.runner import describe_gaps, ledger_gaps


def test_capture_since_and_gaps_load(tmp_path):
    scenario = load(
        write(
            tmp_path,
            "[[step]]\n"
            'call = "CronJobInitiator/create"\n'
            'capture = { job = "ID ([\\\\w-]+)" }\n'
            "[[step]]\n"
            'call = "CronJob/{job}/cancel"\n'
            'as = "cancel"\n'
            "[[step]]\n"
            'expect_state = { service = "CronJob", key = "{job}", absent = ["job"] }\n'
            "[[step]]\n"
            'expect_ledger = { action = "task.executed", count = 0, since = "cancel" }\n'
            "[[step]]\n"
            'expect_ledger = { action = "expensive.call", count = 5, gaps = { first = 2, within = 0.1, min = 0.2 } }\n',
        )
    )
    create, cancel, _, since, gaps = scenario.steps
    assert create.requests[0].capture == {"job": "ID ([\\w-]+)"}
    assert cancel.requests[0].target == "CronJob/{job}/cancel"
    assert since.args["since"] == "cancel"
    assert gaps.args["gaps"] == {"first": 2, "within": 0.1, "min": 0.2}


@pytest.mark.parametrize(
    "text, fragments",
    [
        ('[[step]]\ncall = "CronJob/{job}/getInfo"\n', ["step 1", "'{job}'", "captured", "earlier step"]),
        (
            '[[step]]\ncall = "S/h"\ncapture = { job = "(" }\n',
            ["step 1", "'capture'", "valid regex"],
        ),
        ('[[step]]\ncall = "S/h"\ncapture = { "a b" = "x" }\n', ["'capture'", "variable names"]),
        (
            '[[step]]\ncall = "S/h"\ncapture = { job = "x" }\n[[step]]\n'
            'expect_invocations = { target = "CronJob/{other}/execute", count = 1 }\n',
            ["step 2", "'{other}'"],
        ),
        ('[[step]]\nexpect_ledger = { action = "a", count = 0, since = "ghost" }\n', ["'since'", "ghost"]),
        ('[[step]]\nexpect_ledger = { action = "a", count = 1, since = 3 }\n', ["'since'", "label"]),
        ('[[step]]\nexpect_ledger = { action = "a", count = 2, gaps = 0.2 }\n', ["'gaps'", "a table"]),
        ('[[step]]\nexpect_ledger = { action = "a", count = 2, gaps = { mean = 1 } }\n', ["'mean'", "unknown"]),
        ('[[step]]\nexpect_ledger = { action = "a", count = 2, gaps = { min = -1 } }\n', ["'gaps.min'", "≥ 0"]),
        ('[[step]]\nexpect_ledger = { action = "a", count = 2, gaps = { within = 1 } }\n', ["'gaps.within'"]),
        ('[[step]]\nexpect_ledger = { action = "a", count = 2, gaps = { first = 0, within = 1 } }\n', ["gaps.first"]),
        ('[[step]]\nexpect_ledger = { action = "a", count = 2, gaps = { min = 2, max = 1 } }\n', ["'gaps.max'"]),
        ('[[step]]\nexpect_ledger = { order = ["a"], gaps = { min = 1 } }\n', ["'gaps'"]),
    ],
)
def test_bad_capture_since_and_gaps_name_the_field(tmp_path, text, fragments):
    with pytest.raises(ScenarioError) as info:
        load(write(tmp_path, text))
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_gaps_of_a_token_bucket():
    # burst of 3 at once, then one every 0.25 s
    times = [10.0, 10.01, 10.02, 10.25, 10.5, 10.75]
    problems, seen = ledger_gaps(times, {"first": 3, "within": 0.1, "min": 0.2, "max": 0.3})
    assert problems == [] and "first 3 within 0.020 s" in seen
    # a bypassed limiter: everything at once
    problems, _ = ledger_gaps([10.0, 10.01, 10.02, 10.03, 10.04], {"first": 3, "within": 0.1, "min": 0.2})
    assert problems == ["a gap of 0.010 s (< 0.2 s)"]
    # no burst: the first three are spread out
    problems, _ = ledger_gaps([10.0, 10.25, 10.5, 10.75], {"first": 3, "within": 0.1})
    assert problems == ["the first 3 took 0.500 s (> 0.1 s)"]


def test_gaps_need_enough_entries():
    assert ledger_gaps([1.0], {"min": 0.5})[0] == ["1 entries: no gap after the first 1 to measure"]
    assert ledger_gaps([1.0], {"first": 2, "within": 0.5})[0] == ["only 1 entries, expected the first 2 together"]
    assert ledger_gaps([1.0, 2.0, 3.5], {"max": 1.2})[0] == ["a gap of 1.500 s (> 1.2 s)"]


def test_gaps_are_described_for_the_verdict():
    assert describe_gaps({"first": 3, "within": 0.15, "min": 0.15, "max": 0.5}) == (
        "the first 3 within 0.15 s and then 0.15–0.5 s apart"
    )
    assert describe_gaps({"min": 0.8}) == "then ≥ 0.8 s apart"
