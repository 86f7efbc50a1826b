"""crash, restart, wait, wait_for, attach, resolve_awakeable, say: fields, defaults and bounds."""

import pytest
from scenario_helpers import rejected, step, steps

LABELLED = '[[step]]\ncall = "S/h"\nas = "trip"\nbackground = true\n'


@pytest.mark.parametrize(
    "text, fragments",
    [
        ('[[step]]\ncrash = "database"\n', ["(crash)", "'crash'", "'service', 'server' or 'node'"]),
        ('[[step]]\ncrash = "service"\nafter_entry = "Book car"\n', ["'of'", "whose journal to watch"]),
        ('[[step]]\ncrash = "service"\nrestart_after = "soon"\n', ["'restart_after'", "a number"]),
        ('[[step]]\nrestart = "db"\n', ["(restart)", "'service', 'server' or 'node'"]),
        ('[[step]]\nrestart = "service"\nafter_entry = "x"\n', ["'after_entry'", "unknown field", "'crash'"]),
        ('[[step]]\ncall = "S/h"\n[[step]]\nwait = "soon"\n', ["step 2", "(wait)", "'wait'", "seconds"]),
        ('[[step]]\nwait_for = "ghost"\n', ["'wait_for'", "earlier step", "ghost"]),
        (LABELLED + '[[step]]\nwait_for = "trip"\ntimeout = "long"\n', ["'timeout'", "a number"]),
        ('[[step]]\nattach = "ghost"\n', ["'attach'", "ghost"]),
        ('[[step]]\nresolve_awakeable = ""\n', ["'resolve_awakeable'", "at least 1"]),
        ("[[step]]\nsay = 3\n", ["'say'", "a string"]),
    ],
)
def test_control_steps_reject_with_the_field(text, fragments):
    rejected(text, *fragments)


def test_crash_fields_and_target():
    _, crash = steps(
        LABELLED + '[[step]]\ncrash = "service"\nafter_entry = "Book car"\nof = "trip"\nrestart_after = 0.5\n'
    )
    assert (crash.target, crash.after_entry, crash.of, crash.restart_after) == ("service", "Book car", "trip", 0.5)
    assert crash.refers() == [("of", "trip")]


def test_waits_have_bounds_from_step_scenario_or_default():
    _, wait_for = steps(LABELLED + '[[step]]\nwait_for = "trip"\n')
    assert wait_for.bound(None) == 30.0 and wait_for.bound(5.0) == 5.0
    _, own = steps(LABELLED + '[[step]]\nwait_for = "trip"\ntimeout = 2\n')
    assert own.bound(5.0) == 2.0
    assert step('[[step]]\nexpect_invocations = { target = "S/h", count = 1 }\n').bound(None) == 10.0
    assert step('[[step]]\ncall = "S/h"\n').bound(None) == 30.0
    assert step('[[step]]\nresolve_awakeable = "from_log"\n').bound(None) == 15.0


def test_a_scenario_timeout_bounds_every_waiting_step():
    from pathlib import Path

    from restate_play.scenario.model import parse

    scenario = parse(
        Path("s.toml"),
        'timeout = 4\n[[step]]\ncall = "S/h"\n[[step]]\nexpect_invocations = { target = "S/h", count = 1 }\n',
    )
    assert scenario.timeout == 4 and [s.bound(scenario.timeout) for s in scenario.steps] == [4, 4]


def test_say_alone_is_narration_and_with_an_action_is_its_heading():
    assert step('[[step]]\nsay = "hello"\n').action == "say"
    call = step('[[step]]\nsay = "book it"\ncall = "S/h"\n')
    assert call.action == "call" and call.say == "book it" and call.number == 1
