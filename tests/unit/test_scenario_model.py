"""Scenario validation: every shipped scenario loads; bad ones name file, step and field."""

import pytest
from conftest import write_scenario as write

from restate_play.paths import scenarios_dir
from restate_play.patterns.catalog import available_patterns
from restate_play.scenario.model import ScenarioError, load

SCENARIOS = sorted(p for p in scenarios_dir().glob("*.toml") if not p.name.endswith(".chaos.toml"))
# Chaos specs (`*.chaos.toml`): tests/unit/test_chaos_plan.py.


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenarios_load(path):
    scenario = load(path)
    assert scenario.steps
    assert any(s.action.startswith("expect_") or any(r.expect for r in s.requests) for s in scenario.steps)


def test_every_available_pattern_has_a_default_scenario():
    for pattern in available_patterns():
        assert (scenarios_dir() / pattern.default_scenario).exists(), pattern.slug


@pytest.mark.parametrize(
    "text, fragments",
    [
        ('[[step]]\ncall = "not a target"\n', ["broken.toml", "step 1", "'call'", "Object/key/handler"]),
        ('[[step]]\ncall = "S/h"\n[[step]]\nwait = "soon"\n', ["step 2", "(wait)", "'wait'", "seconds"]),
        ('[[step]]\ncall = "S/h"\nfrobnicate = 1\n', ["step 1", "'frobnicate'", "unknown field"]),
        ('[[step]]\nsend = "S/h"\ndelay = "10"\n', ["'delay'", "unit"]),
        ('[[step]]\ncall = "S/h"\ndelay = "1s"\n', ["'delay'", "only on 'send'"]),
        ('[[step]]\ncrash = "database"\n', ["(crash)", "'service', 'server' or 'node'"]),
        ('[[step]]\nexpect_state = { service = "s" }\n', ["(expect_state)", "'expect_state.key'"]),
        ('[[step]]\nwait_for = "ghost"\n', ["'wait_for'", "earlier step", "ghost"]),
        ('[[step]]\nexpect_ledger = { action = "x" }\n', ["'expect_ledger.count'"]),
        ('[[step]]\ncall = "S/h"\nsend = "S/h"\n', ["exactly one action"]),
        ("[[step]]\n", ["exactly one action"]),
        ('title = "x"\n', ["'step'", "at least one [[step]]"]),
        ("this is = not toml =", ["not valid TOML"]),
        ('[[step]]\ncall = "/reserve/a/b"\nvia = "client"\n[[step]]\nparallel = []\n', ["step 2", "non-empty list"]),
    ],
)
def test_malformed_scenarios_name_file_step_and_field(tmp_path, text, fragments):
    with pytest.raises(ScenarioError) as info:
        load(write(tmp_path, text))
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ScenarioError, match="does not exist"):
        load(tmp_path / "nope.toml")


def test_values_are_parsed(tmp_path):
    scenario = load(
        write(
            tmp_path,
            """
title = "t"
time_scale = 0.5
[world.faults]
"car.book" = 1
[[step]]
send = "Svc/h"
body = { a = 1 }
idempotency_key = "k"
delay = "2s"
as = "x"
expect = { status = 202, invocation_status = "Accepted" }
[[step]]
attach = "x"
expect = { body = 3 }
""",
        )
    )
    req = scenario.steps[0].requests[0]
    assert (req.kind, req.target, req.body, req.delay, req.label) == ("send", "Svc/h", {"a": 1}, "2s", "x")
    assert req.expect.status == 202 and req.expect.invocation_status == "Accepted"
    assert scenario.faults == {"car.book": 1} and scenario.time_scale == 0.5
    assert scenario.steps[1].expect.body == 3 and scenario.steps[1].expect.has_body
