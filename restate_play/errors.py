"""Errors that reach the user: each says what went wrong and what to do about it."""


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
        import sys

        sys.stdout.write(json.dumps({"error": err.message, "hint": err.hint}, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return
    from rich.text import Text

    from restate_play.commands.common import stderr_console

    console = stderr_console()  # Text, not markup: messages quote Restate's "[570 Journal mismatch]"
    console.print(Text.assemble(("error: ", "red bold"), err.message))
    if err.hint:
        console.print(Text(err.hint, style="yellow"))
