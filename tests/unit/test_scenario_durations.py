"""[world.durations] (named waits pinned by a scenario) and expect_ledger's `at_most`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import write_scenario as write

from restate_play.commands.run import sandbox_options
from restate_play.patterns.catalog import get_pattern
from restate_play.scenario.model import ScenarioError, load
from restate_play.world import timing


def test_durations_load_and_reach_the_service_env(tmp_path):
    scenario = load(write(tmp_path, '[world.durations]\n"token expiry" = 3\n[[step]]\ncall = "S/h"\n'))
    assert scenario.durations == {"token expiry": 3.0}
    env = sandbox_options(get_pattern("sagas"), scenario, None, tmp_path).extra_env
    assert env["RESTATE_PLAY_DURATIONS"] == '{"token expiry": 3.0}'


@pytest.mark.parametrize("value", ['"3s"', "-1", "true"])
def test_bad_durations_name_the_field(tmp_path, value):
    with pytest.raises(ScenarioError) as err:
        load(write(tmp_path, f'[world.durations]\n"token expiry" = {value}\n[[step]]\ncall = "S/h"\n'))
    assert "world.durations" in err.value.message and "seconds" in err.value.message


def test_pinned_wait_overrides_the_scale_only_for_its_name(monkeypatch):
    monkeypatch.setenv(timing.ENV_VAR, "0.1")
    monkeypatch.setenv(timing.DURATIONS_ENV_VAR, '{"verification timeout": 4.5}')
    assert timing.scaled(timedelta(days=1), "verification timeout") == timedelta(seconds=4.5)
    assert timing.scaled(timedelta(seconds=10), "reminder") == timedelta(seconds=1)
    assert timing.scaled(timedelta(seconds=10)) == timedelta(seconds=1)
    monkeypatch.setenv(timing.DURATIONS_ENV_VAR, "not json")
    assert timing.scaled(timedelta(seconds=10), "reminder") == timedelta(seconds=1)


def test_ledger_at_most_validation(tmp_path):
    ok = '[[step]]\nexpect_ledger = { action = "account.withdraw", at_least = 0, at_most = 1 }\n'
    assert load(write(tmp_path, ok)).steps[0].expect_ledger.at_most == 1
    for bad, fragment in [
        ('{ action = "a", count = 1, at_most = 1 }', "not with 'count'"),
        ('{ action = "a", at_most = "one" }', "an integer"),
        ('{ order = ["a"], at_most = 1 }', "'order'"),
    ]:
        with pytest.raises(ScenarioError) as err:
            load(write(tmp_path, f"[[step]]\nexpect_ledger = {bad}\n"))
        assert fragment in err.value.message, err.value.message
