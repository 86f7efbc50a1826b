"""Parallelizing Work: the request against `serve`, and the fan-out seen in `run`'s records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from restate_play.patterns.catalog import get_pattern
from restate_play.world import ledger

pytestmark = pytest.mark.e2e

ROUTINE = ["get out of bed", "shower", "make coffee", "have breakfast"]


def test_request_fans_out_and_aggregates_under_serve(serve):
    s = serve("parallelize-work")
    (line,) = get_pattern("parallelize-work").curls
    answer = json.loads(s.curl(line))
    assert answer == {"description": ",".join(f"{chore}: DONE" for chore in ROUTINE)}
    log = s.wait_output("Aggregated result")
    for chore in ROUTINE:
        assert f"Started executing subtask: {chore}" in log and f"Execution subtask finished: {chore}" in log
    entries = ledger.read(Path(s.sandbox["state_file"]).parent / "ledger.jsonl")
    started = {e.args["subtask"]: e.ts for e in entries if e.action == "subtask.started"}
    finished = {e.args["subtask"]: e.ts for e in entries if e.action == "subtask.finished"}
    assert set(started) == set(finished) == set(ROUTINE)
    # Every subtask started before any of the slow ones finished (coffee takes 0 s): side by side.
    assert max(started.values()) < min(t for chore, t in finished.items() if chore != "make coffee")
    s.stop()


def test_run_records_four_parallel_subtasks(default_run):
    code, result = default_run("parallelize-work")
    assert code == 0, [c for c in result["expectations"] if not c["passed"]]
    subtasks = [i for i in result["invocations"] if i["target"] == "worker/runSubtask"]
    assert len(subtasks) == 4 and all(i["invoked_by"] == "service" for i in subtasks)
    started = {e["args"]["subtask"]: e["ts"] for e in result["ledger"] if e["action"] == "subtask.started"}
    finished = {e["args"]["subtask"]: e["ts"] for e in result["ledger"] if e["action"] == "subtask.finished"}
    assert set(started) == set(finished) == set(ROUTINE)
    assert max(started.values()) < min(finished.values())
    assert result["timings"]["scenario"] < 15
