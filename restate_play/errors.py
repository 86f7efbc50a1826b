"""Errors that reach the user: each says what went wrong and what to do about it."""


class PlayError(Exception):
    """An error with a message meant for the user (no traceback)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"
