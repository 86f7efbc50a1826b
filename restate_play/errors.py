"""Errors that reach the user: each says what went wrong and what to do about it."""

import sys


class PlayError(Exception):
    """An error with a message meant for the user (no traceback)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


def report(err: PlayError, as_json: bool) -> None:
    """Show an error: `{"error": …, "hint": …}` on stdout for scripts (--json), else red on stderr."""
    if as_json:
        import json

        sys.stdout.write(json.dumps({"error": err.message, "hint": err.hint}, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return
    from restate_play.views.styled import Styled, emit

    # Plain styled lines, not rich markup (messages quote Restate's "[570 Journal mismatch]"), whole:
    # the terminal wraps them, so the commands and paths in them copy as they are.
    lines = [Styled("error: ", "red bold").append(err.message)]
    if err.hint:
        lines.append(Styled(err.hint, "yellow"))
    emit(lines, sys.stderr)
