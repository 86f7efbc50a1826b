"""The world's outbox: calls run at their time in the world's process, whatever the service does."""

from __future__ import annotations

import threading
import time

from restate_play.waiting import eventually
from restate_play.world.later import OUTBOX_ENV_VAR, call_later, serve_outbox

CALLS: list[tuple[str, float]] = []


def record(label: str) -> None:
    CALLS.append((label, time.monotonic()))


async def record_async(label: str) -> None:
    CALLS.append((label, time.monotonic()))


def test_outbox_calls_run_at_their_time_and_bad_lines_are_skipped(tmp_path, monkeypatch):
    outbox = tmp_path / "outbox.jsonl"
    monkeypatch.setenv(OUTBOX_ENV_VAR, str(outbox))
    CALLS.clear()
    start = time.monotonic()
    call_later(record, 0.4, "later")
    call_later(record_async, 0.0, "now")  # a coroutine function runs to its end too
    with outbox.open("a") as f:
        f.write("not json\n")
        f.write('{"fn": "restate_play.world.later:no_such_function", "args": [], "at": 0}\n')
        f.write('{"fn": "half a line')  # still being written: left for a later turn
    assert CALLS == []  # nothing runs in the calling (service) process
    stop = threading.Event()
    world = threading.Thread(target=serve_outbox, args=(outbox, 0.01, stop), daemon=True)
    world.start()
    try:
        eventually(lambda: len(CALLS) >= 2, timeout=5, interval=0.01, what="both calls run by the world")
    finally:
        stop.set()
        world.join(2)
    assert [label for label, _ in CALLS] == ["now", "later"]
    assert CALLS[1][1] - start >= 0.4


def test_without_an_outbox_the_call_runs_here(monkeypatch):
    monkeypatch.delenv(OUTBOX_ENV_VAR, raising=False)
    CALLS.clear()
    call_later(record, 0.0, "here")
    eventually(lambda: CALLS, timeout=2, interval=0.01, what="the call run in this process")
    assert [label for label, _ in CALLS] == ["here"]
