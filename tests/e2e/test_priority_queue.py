"""Priority Queue: the document's curl lines (its for-loop too) against `serve`, and the run's records."""

from __future__ import annotations

import json
import re

import pytest
from conftest import cli

from restate_play.patterns.catalog import get_pattern
from restate_play.waiting import eventually

pytestmark = pytest.mark.e2e

TICK = re.compile(r"Tick end\. Queue length: (\d+), In Flight: (\d+)")


@pytest.mark.alone  # 10 in flight at once needs the curl loop to outpace the handlers
def test_document_curls_fill_the_queue_and_drain_it(serve):
    s = serve("priority-queue")
    single, lots = get_pattern("priority-queue").curls
    assert "invocationId" in s.curl(single)
    answers = s.curl(lots)  # the document's bash for-loop, verbatim
    assert answers.count('"invocationId"') == 30

    # The queue's log lines, as the document describes: in flight grows to 10, the rest is enqueued.
    s.wait_output("Queue length: 0, In Flight: 0", timeout=60)
    ticks = [(int(q), int(f)) for q, f in TICK.findall(s.output())]
    assert ticks and max(f for _, f in ticks) == 10, ticks
    assert any(q > 0 for q, f in ticks if f == 10), "nothing was ever enqueued behind 10 in flight"
    assert ticks[-1] == (0, 0)

    env = {"XDG_STATE_HOME": s.env["XDG_STATE_HOME"]}
    state = json.loads(cli("state", "get", "queue", "myService/expensiveMethod", "--json", env=env, check=True).stdout)
    assert state["state"] == {"items": [], "inFlight": 0}
    eventually(
        lambda: json.loads(cli("invocations", "list", "--service", "myService", "--json", env=env, check=True).stdout),
        until=lambda listing: len([i for i in listing if i["status"] == "completed"]) == 31,
        timeout=30,
        interval=0.5,
        what="31 completed myService invocations",
    )
    assert s.stop() == 130


def test_scenario_records_show_priority_and_the_limit(default_run):
    code, result = default_run("priority-queue")
    assert code == 0, [c for c in result["expectations"] if not c["passed"]]
    starts = [e for e in result["ledger"] if e["action"] == "compute.start"]
    assert len(starts) == 34
    # The three urgent entries (left 101..103) were sent after the 30 others, yet started before
    # every priority-2 entry still waiting at that time.
    urgent = [i for i, e in enumerate(starts) if e["args"]["left"] > 100]
    assert len(urgent) == 3 and max(urgent) < 20
    assert all(e["args"]["priority"] == 2 for e in starts[20:])  # 14 normal entries queued before them
    running = peak = 0
    for e in result["ledger"]:
        running += {"compute.start": 1, "compute.done": -1}.get(e["action"], 0)
        peak = max(peak, running)
    assert peak == 10
    assert result["timings"]["scenario"] < 15
