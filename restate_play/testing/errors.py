"""What the `restate` fixture raises: each message says what Restate answered or did."""

from __future__ import annotations


class RestateCallError(AssertionError):
    """A call answered with an error status (a TerminalError in the handler, an unknown target…)."""

    def __init__(self, target: str, status: int, message: str, invocation_id: str | None = None):
        self.target, self.status, self.message, self.invocation_id = target, status, message, invocation_id
        super().__init__(f"{target} answered {status}: {message}")


class InvocationFailed(AssertionError):
    """The invocation cannot complete as the code stands (a journal mismatch on replay, paused)."""


class CrashNotReached(AssertionError):
    """`crash_service(after_entry=…)` / `crash_server(after_entry=…)`: the entry never got journaled."""
