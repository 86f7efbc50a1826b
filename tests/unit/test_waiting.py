"""`eventually`: bounded polling that names what it waited for and what it last saw."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from restate_play.waiting import WaitTimeout, eventually, eventually_async


def test_returns_the_first_value_that_holds():
    counter = itertools.count(1)
    assert eventually(lambda: next(counter), until=lambda n: n >= 3, what="three", interval=0.001) == 3


def test_truthy_by_default_and_tried_at_once():
    calls = []
    assert eventually(lambda: calls.append(1) or "ready", what="ready", timeout=0) == "ready"
    assert calls == [1]


def test_times_out_with_what_and_the_last_value():
    counter = itertools.count(1)
    t0 = time.monotonic()
    with pytest.raises(WaitTimeout) as caught:
        eventually(lambda: next(counter), until=lambda n: n < 0, what="a negative number", timeout=0.2, interval=0.05)
    took = time.monotonic() - t0
    assert 0.2 <= took < 1.0
    err = caught.value
    assert err.what == "a negative number" and err.last == err.attempts and err.attempts >= 3
    assert "waiting for a negative number" in str(err) and f"last saw: {err.last}" in str(err)
    assert isinstance(err, TimeoutError)


def test_ignored_errors_are_not_yet_others_are_raised():
    answers = iter([ConnectionError("refused"), ConnectionError("refused"), "up"])

    def probe():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert eventually(probe, what="up", interval=0.001, ignore=(ConnectionError,)) == "up"
    with pytest.raises(WaitTimeout, match="last saw: ConnectionError: refused"):
        eventually(lambda: probe_refused(), what="up", timeout=0.05, interval=0.01, ignore=(ConnectionError,))
    with pytest.raises(KeyError):
        eventually(lambda: {}["missing"], what="a key", timeout=5, ignore=(ConnectionError,))


def probe_refused():
    raise ConnectionError("refused")


def test_long_last_values_are_shortened():
    with pytest.raises(WaitTimeout) as caught:
        eventually(lambda: "x" * 5000 + "the end", until=lambda _: False, what="never", timeout=0)
    assert len(str(caught.value)) < 1700 and "(5009 chars, the last 1500) …" in str(caught.value)
    assert str(caught.value).endswith("the end'")


def test_async_takes_coroutines_and_plain_functions():
    async def main():
        counter = itertools.count(1)

        async def next_number():
            await asyncio.sleep(0)
            return next(counter)

        assert await eventually_async(next_number, until=lambda n: n == 4, what="four", interval=0.001) == 4
        assert await eventually_async(lambda: "now", what="now") == "now"
        with pytest.raises(WaitTimeout, match="waiting for nothing; last saw: None"):
            await eventually_async(lambda: None, what="nothing", timeout=0.05, interval=0.01)

    asyncio.run(main())
