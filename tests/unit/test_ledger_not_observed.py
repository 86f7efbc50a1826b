"""A ledger check on a service that keeps no ledger is "not observed", never passed (runner.settle)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import pytest

from restate_play.scenario.model import parse
from restate_play.scenario.runner import NOT_OBSERVED, ScenarioRunner
from restate_play.world import ledger

SCENARIO = """
title = "t"

[[step]]
expect_ledger = { action = "greeted", count = 0 }
timeout = 0

[[step]]
expect_concurrency = { start = "a", end = "b", at_most = 1 }
timeout = 0
"""


def checks(tmp_path: Path, promised: bool, entries: int, monkeypatch: pytest.MonkeyPatch) -> list:
    path = tmp_path / "ledger.jsonl"
    monkeypatch.setenv(ledger.ENV_VAR, str(path))
    for i in range(entries):
        ledger.record("other.thing", i=i)
    sandbox = SimpleNamespace(ledger_path=path, ledger_promised=promised, client_url=None)
    reporter = SimpleNamespace(step=print, note=print, check=print, request=print, response=print)
    runner = ScenarioRunner(parse(tmp_path / "s.toml", SCENARIO), "x", sandbox, None, None, reporter)
    for step in runner.scenario.steps:
        asyncio.run(runner.settle(step))
    return runner.result.checks


def test_user_code_without_ledger_entries_is_not_observed(tmp_path, monkeypatch) -> None:
    got = checks(tmp_path, promised=False, entries=0, monkeypatch=monkeypatch)
    assert [c.passed for c in got] == [False, False]  # "0 times" and "at most 1" would hold vacuously
    assert all(
        c.detail == NOT_OBSERVED and c.detail.startswith("not observed: this service keeps no ledger") for c in got
    )


def test_user_code_that_records_is_judged(tmp_path, monkeypatch) -> None:
    got = checks(tmp_path, promised=False, entries=1, monkeypatch=monkeypatch)
    assert [c.passed for c in got] == [True, True]


def test_a_pattern_is_judged_even_with_an_empty_ledger(tmp_path, monkeypatch) -> None:
    got = checks(tmp_path, promised=True, entries=0, monkeypatch=monkeypatch)
    assert [c.passed for c in got] == [True, True]
