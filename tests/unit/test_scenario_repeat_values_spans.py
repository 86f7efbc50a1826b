"""Scenario additions for batching, parallelize-work and payment-signals: `repeat`,
`expect_ledger` field/values, `expect_invocations` result, and `expect_spans`."""

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
        ('[[step]]\ncall = "S/h"\nrepeat = 0\n', ["'repeat'", "≥ 1"]),
        ('[[step]]\ncall = "S/h"\nrepeat = "31"\n', ["'repeat'", "integer"]),
        ('[[step]]\ncall = "S/h"\nrepeat = 3\nas = "x"\n', ["'repeat'", "no 'as'"]),
        ('[[step]]\nparallel = [{ call = "S/h", repeat = 2 }]\n', ["'repeat'", "not inside 'parallel'"]),
        ('[[step]]\nexpect_ledger = { action = "a", field = "size" }\n', ["'field'", "'values'"]),
        ('[[step]]\nexpect_ledger = { action = "a", field = "size", values = 3 }\n', ["'values'", "a list"]),
        ('[[step]]\nexpect_ledger = { action = "a", flat = true, count = 1 }\n', ["'field'"]),
        ('[[step]]\nexpect_invocations = { target = "S/h", count = 1, result = "ok" }\n', ["'result'", "'success'"]),
        ('[[step]]\nexpect_spans = { start = "a", end = "b" }\n', ["(expect_spans)", "'by'"]),
        ('[[step]]\nexpect_spans = { start = "a", end = "b", by = "k", max_ratio = 0 }\n', ["'max_ratio'"]),
        ('[[step]]\nexpect_spans = { start = "a", end = "b", by = "k", concurrent = "yes" }\n', ["'concurrent'"]),
    ],
)
def test_malformed_additions_name_the_field(tmp_path, text, fragments):
    with pytest.raises(ScenarioError) as info:
        load(write(tmp_path, text))
    for fragment in fragments:
        assert fragment in str(info.value), f"{fragment!r} not in {info.value}"


def test_repeat_and_values_are_parsed_for_batching(tmp_path):
    scenario = load(
        write(
            tmp_path,
            '[[step]]\ncall = "batcher/k/receive"\nbody_json = "{i}"\nrepeat = 31\n'
            '[[step]]\nexpect_ledger = { action = "batch.received", field = "items", flat = true, values = [1, 2] }\n',
        )
    )
    (req,) = scenario.steps[0].requests
    assert req.repeat == 31 and req.raw_body == "{i}"
    assert scenario.steps[1].args["flat"] is True


def _runner(tmp_path: Path, entries: list[tuple[float, str, dict]]) -> ScenarioRunner:
    path = tmp_path / "ledger.jsonl"
    path.write_text("".join(json.dumps({"ts": ts, "action": a, "args": args}) + "\n" for ts, a, args in entries))
    scenario = load(write(tmp_path, '[[step]]\nsay = "x"\n'))
    sandbox = SimpleNamespace(ledger_path=path, client_url=None)
    return ScenarioRunner(scenario, "p", sandbox, None, None, None)  # type: ignore[arg-type]


def spans(runner: ScenarioRunner, **args) -> tuple[str, bool, str]:
    return asyncio.run(runner._check_spans({"start": "s", "end": "e", "by": "k", **args}))


def test_spans_in_parallel_hold_for_parallelize_work(tmp_path):
    runner = _runner(
        tmp_path,
        [(0.0, "s", {"k": "a"}), (0.1, "s", {"k": "b"}), (0.5, "e", {"k": "b"}), (1.0, "e", {"k": "a"})],
    )
    _, ok, detail = spans(runner, count=2, concurrent=True, max_ratio=0.8)
    assert ok, detail  # wall 1.0 s, sum 1.4 s
    assert "wall 1.00 s, sum 1.40 s" in detail
    assert spans(runner, concurrent=False)[1] is False


def test_sequential_spans_fail_the_parallel_check(tmp_path):
    runner = _runner(
        tmp_path,
        [(0.0, "s", {"k": "a"}), (0.5, "e", {"k": "a"}), (0.5, "s", {"k": "b"}), (1.0, "e", {"k": "b"})],
    )
    _, ok, detail = spans(runner, concurrent=True)
    assert not ok and "after the first ended" in detail
    _, ok, detail = spans(runner, max_ratio=0.6)
    assert not ok and "1.00 × sum" in detail
    assert spans(runner, count=2, concurrent=False)[1] is True
    assert spans(runner, count=3)[1] is False


def test_ledger_field_values_catch_lost_and_doubled_items_for_batching(tmp_path):
    runner = _runner(
        tmp_path,
        [(0, "batch.received", {"items": [1, 2], "size": 2}), (1, "batch.received", {"items": [2, 3], "size": 2})],
    )
    check = runner._check_ledger
    assert asyncio.run(check({"action": "batch.received", "field": "size", "values": [2, 2]}))[1]
    doubled = asyncio.run(check({"action": "batch.received", "field": "items", "flat": True, "values": [1, 2, 3]}))
    assert not doubled[1] and "[1, 2, 2, 3]" in doubled[2]


def test_payment_signals_multi_line_curl_is_one_command():
    from restate_play.patterns.catalog import get_pattern

    (command,) = get_pattern("payment-signals").curls
    assert command.startswith("curl localhost:8080/payments/processPayment") and command.endswith("}'")
    assert len(get_pattern("batching").curls) == 2  # one-line commands stay one per line
