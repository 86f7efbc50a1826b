"""The `alone` turns of the parallel test run (tests/conftest.py): exclusive when asked, never a deadlock."""

from __future__ import annotations

import threading
import time

from conftest import Turns


def in_thread(fn) -> threading.Thread:
    thread = threading.Thread(target=fn, daemon=True)
    thread.start()
    return thread


def test_an_alone_turn_waits_for_the_shared_ones_and_holds_back_new_ones(tmp_path):
    running, alone, late = Turns(tmp_path / "t"), Turns(tmp_path / "t"), Turns(tmp_path / "t")
    running.take(exclusive=False)
    waiting = in_thread(lambda: alone.take(exclusive=True))
    time.sleep(0.2)
    assert waiting.is_alive()  # a test is still running beside it
    newcomer = in_thread(lambda: late.take(exclusive=False))
    time.sleep(0.2)
    running.close()
    waiting.join(5)
    assert not waiting.is_alive() and alone.exclusive
    time.sleep(0.2)
    assert newcomer.is_alive()  # held back while the alone test runs
    alone.close()
    newcomer.join(5)
    assert not newcomer.is_alive()
    late.close()


def test_two_workers_asking_to_be_alone_at_once_both_get_their_turn(tmp_path):
    first, second = Turns(tmp_path / "t"), Turns(tmp_path / "t")
    first.take(exclusive=False)
    second.take(exclusive=False)
    done: list[str] = []

    def play(turns: Turns, name: str) -> None:
        with turns.alone():
            assert turns.exclusive
            time.sleep(0.1)
            done.append(name)
        turns.close()

    threads = [in_thread(lambda: play(first, "first")), in_thread(lambda: play(second, "second"))]
    for thread in threads:
        thread.join(5)
    assert sorted(done) == ["first", "second"]
