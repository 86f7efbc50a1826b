"""Bounded polling: wait until something holds, and say what was awaited and what was last seen.

One helper for the package and the tests alike, so no wait is written by hand (and none is unbounded).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")
Errors = tuple[type[BaseException], ...]


class WaitTimeout(TimeoutError):
    """What was awaited did not hold in time; `last` is the last value seen (or the last error)."""

    def __init__(self, what: str, timeout: float, last: Any, attempts: int):
        self.what, self.timeout, self.last, self.attempts = what, timeout, last, attempts
        super().__init__(f"gave up after {timeout:g} s ({attempts} tries) waiting for {what}; last saw: {_show(last)}")


def _show(value: Any, limit: int = 1500) -> str:
    text = f"{type(value).__name__}: {value}" if isinstance(value, BaseException) else repr(value)
    # The end of a long value (a log, a screen) is where the latest state is.
    return text if len(text) <= limit else f"({len(text)} chars, the last {limit}) …" + text[-limit:]


class _Poll:
    """The bookkeeping shared by the sync and async loops: attempts, deadline, last value."""

    def __init__(self, what: str, timeout: float, until: Callable[[Any], bool], ignore: Errors):
        self.what, self.timeout, self.until, self.ignore = what, timeout, until, ignore
        self.deadline = time.monotonic() + timeout
        self.attempts = 0
        self.last: Any = None

    def judge(self, value: Any) -> bool:
        self.attempts += 1
        self.last = value
        return bool(self.until(value))

    def failed(self, err: BaseException) -> None:
        if not isinstance(err, self.ignore):
            raise err
        self.attempts += 1
        self.last = err

    def out_of_time(self) -> bool:
        return time.monotonic() >= self.deadline

    def timed_out(self) -> WaitTimeout:
        return WaitTimeout(self.what, self.timeout, self.last, self.attempts)


def eventually(
    fn: Callable[[], T],
    *,
    what: str,
    timeout: float = 30.0,
    interval: float = 0.1,
    until: Callable[[T], bool] = bool,
    ignore: Errors = (),
) -> T:
    """Call `fn` every `interval` s until `until(value)` holds (truthy by default); returns that value.

    Raises `WaitTimeout` after `timeout` s, naming `what` and the last value seen. Errors of the
    types in `ignore` count as "not yet" (a port not listening yet); any other error is raised.
    `fn` is always tried at least once, and once more at the deadline.
    """
    poll = _Poll(what, timeout, until, ignore)
    while True:
        last_chance = poll.out_of_time()
        try:
            value = fn()
            if poll.judge(value):
                return value
        except Exception as err:  # `failed` re-raises what is not in `ignore`
            poll.failed(err)
        if last_chance:
            raise poll.timed_out()
        time.sleep(max(0.0, min(interval, poll.deadline - time.monotonic())))


async def eventually_async(
    fn: Callable[[], Awaitable[T] | T],
    *,
    what: str,
    timeout: float = 30.0,
    interval: float = 0.1,
    until: Callable[[T], bool] = bool,
    ignore: Errors = (),
) -> T:
    """`eventually` for async code: `fn` may be a coroutine function; sleeps without blocking the loop."""
    poll = _Poll(what, timeout, until, ignore)
    while True:
        last_chance = poll.out_of_time()
        try:
            value = fn()
            if inspect.isawaitable(value):
                value = await value
            if poll.judge(value):
                return value  # type: ignore[return-value]
        except Exception as err:  # `failed` re-raises what is not in `ignore`
            poll.failed(err)
        if last_chance:
            raise poll.timed_out()
        await asyncio.sleep(max(0.0, min(interval, poll.deadline - time.monotonic())))
