"""Batching: the document's curl lines (one item, then a for-loop of 31) against `serve`, and `run`."""

from __future__ import annotations

from pathlib import Path

import pytest

from restate_play.patterns.catalog import get_pattern
from restate_play.waiting import eventually
from restate_play.world import ledger

pytestmark = pytest.mark.e2e


def batches(ledger_path: Path) -> list[list]:
    return [e.args["items"] for e in ledger.read(ledger_path) if e.action == "batch.received"]


@pytest.mark.alone  # 10 items must arrive before the linger timer fires
def test_document_curls_batch_every_item_once(serve):
    s = serve("batching")
    one_item, lots = get_pattern("batching").curls
    assert "for i in $(seq 1 31)" in lots  # the document's bash loop, run as it is
    s.curl(one_item)
    s.curl(lots)
    ledger_path = Path(s.sandbox["state_file"]).parent / "ledger.jsonl"
    got = eventually(
        lambda: batches(ledger_path),
        until=lambda got: sum(map(len, got)) >= 32,
        timeout=20,
        interval=0.2,
        what="32 items received in batches",
    )
    assert [item for batch in got for item in batch] == [123, *range(1, 32)]
    assert all(len(batch) <= 10 for batch in got)
    assert len(got[-1]) < 10  # the rest went out when the linger timer fired
    log = s.wait_output("as the timer fired")
    assert "Sending batch as it reached 10 items" in log and "Received batch" in log
    s.stop()


def test_run_shows_full_batches_and_timer_flushes(default_run):
    code, result = default_run("batching")
    assert code == 0, [c for c in result["expectations"] if not c["passed"]]
    sizes = [e["args"]["size"] for e in result["ledger"] if e["action"] == "batch.received"]
    assert sizes == [1, 10, 10, 10, 1]
    expires = [i for i in result["invocations"] if i["target"] == "batcher/myKey/expire"]
    assert len(expires) == 2 and all(i["completion_result"] == "success" for i in expires)
    assert result["timings"]["scenario"] < 15
