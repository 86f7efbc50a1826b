"""Scenario additions for priority-queue: `expect_concurrency` and expect_ledger's `among_first`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import write_scenario as write

from restate_play.scenario.model import ScenarioError, load
from restate_play.scenario.runner import ScenarioRunner


@pytest.mark.parametrize(
    "text, fragments",
    [
        ('[[step]]\nexpect_concurrency = { start = "s", at_most = 1 }\n', ["(expect_concurrency)", "'end'"]),
        ('[[step]]\nexpect_concurrency = { start = "s", end = "e" }\n', ["'at_most'", "'reaches'"]),
        ('[[step]]\nexpect_concurrency = { start = "s", end = "e", at_most = "10" }\n', ["'at_most'", "integer"]),
        ('[[step]]\nexpect_concurrency = { start = "s", end = "e", reaches = true }\n', ["'reaches'", "integer"]),
        ('[[step]]\nexpect_concurrency = { start = "s", end = "e", at_most = 1, by = "k" }\n', ["'by'", "unknown"]),
        ('[[step]]\nexpect_ledger = { action = "a", count = 1, among_first = "20" }\n', ["'among_first'", "first N"]),
    ],
)
def test_malformed_additions_name_the_field(tmp_path, text, fragments):
    with pytest.raises(ScenarioError) as info:
        load(write(tmp_path, text))
    for fragment in fragments:
        assert fragment in str(info.value), f"{fragment!r} not in {info.value}"


def test_well_formed_additions_load(tmp_path):
    scenario = load(
        write(
            tmp_path,
            '[[step]]\nexpect_concurrency = { start = "s", end = "e", at_most = 10, reaches = 10 }\n'
            '[[step]]\nexpect_ledger = { action = "s", where = { p = 1 }, count = 3, among_first = 20 }\n',
        )
    )
    assert scenario.steps[0].args["at_most"] == 10 and scenario.steps[1].args["among_first"] == 20


def _runner(tmp_path: Path, entries: list[tuple[str, dict]]) -> ScenarioRunner:
    path = tmp_path / "ledger.jsonl"
    path.write_text(
        "".join(json.dumps({"ts": i, "action": a, "args": args}) + "\n" for i, (a, args) in enumerate(entries))
    )
    scenario = load(write(tmp_path, '[[step]]\nsay = "x"\n'))
    return ScenarioRunner(scenario, "p", SimpleNamespace(ledger_path=path, client_url=None), None, None, None)  # type: ignore[arg-type]


def test_concurrency_counts_the_peak(tmp_path):
    # three start, one ends, one more starts: the peak is 3
    runner = _runner(tmp_path, [("s", {}), ("s", {}), ("s", {}), ("e", {}), ("s", {}), ("e", {}), ("e", {}), ("e", {})])
    check = lambda **a: asyncio.run(runner._check_concurrency({"start": "s", "end": "e", **a}))  # noqa: E731
    assert check(at_most=3, reaches=3)[1] is True
    desc, ok, detail = check(at_most=2)
    assert not ok and detail == "at most 3 at once" and "never more than 2" in desc
    assert check(reaches=4)[1] is False


def test_among_first_ranks_within_the_action(tmp_path):
    entries = [("s", {"p": 2})] * 10 + [("other", {})] + [("s", {"p": 1}), ("s", {"p": 2}), ("s", {"p": 1})]
    runner = _runner(tmp_path, entries + [("s", {"p": 2})] * 10)
    check = lambda **a: asyncio.run(runner._check_ledger({"action": "s", "where": {"p": 1}, **a}))  # noqa: E731
    _, ok, detail = check(among_first=13, count=2)
    assert ok and detail == "2 at positions 11, 13 of 23"
    assert check(among_first=12)[1] is False  # the second urgent one started 13th
    assert check(among_first=20, count=3)[1] is False
