"""Standard output for the service process that never splits or mixes lines.

`print()` writes the text and the newline as two calls. With unbuffered output (which the service
needs, so its log is live) each call is its own `write(2)`, and the SDK runs `ctx.run` actions in a
thread pool: two actions printing at once produced "…first post!Content moderation…" on one line,
and a reader polling the log could catch a line before its newline. This stream keeps each thread's
text until it has a whole line, then appends whole lines with a single `write(2)`.
"""

from __future__ import annotations

import io
import os
import threading


class WholeLineWriter(io.TextIOBase):
    def __init__(self, fd: int, encoding: str = "utf-8") -> None:
        self._fd = fd
        self._encoding = encoding
        self._pending = threading.local()
        self._lock = threading.Lock()  # a pipe may take a long line in pieces: keep them together

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        pending = getattr(self._pending, "text", "") + text
        end = pending.rfind("\n") + 1
        self._pending.text = pending[end:]
        if end:
            self._emit(pending[:end])
        return len(text)

    def flush(self) -> None:
        pending = getattr(self._pending, "text", "")
        self._pending.text = ""
        if pending:
            self._emit(pending)

    def _emit(self, text: str) -> None:
        data = text.encode(self._encoding, "backslashreplace")
        with self._lock:
            while data:
                data = data[os.write(self._fd, data) :]
