"""An append-only JSON-lines ledger of every external action, durable across process crashes.

Each line: {"seq", "ts", "action", "args", "invocation", "pid"}. Writes are single O_APPEND
`write` calls, so a SIGKILL of the writer never leaves half a line, and concurrent writers (the
service process, the playground) never interleave within a line.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_VAR = "RESTATE_PLAY_LEDGER"


def ledger_path() -> Path:
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "restate-play" / "ledger.jsonl"


def _current_invocation() -> str | None:
    # The SDK keeps the running handler's context in a contextvar; reading it lets the ledger say
    # which invocation caused an action without the pattern passing ids around.
    try:
        from restate.server_context import _restate_context_var
    except ImportError:  # pragma: no cover - SDK internals moved
        return None
    ctx = _restate_context_var.get(None)
    if ctx is None:
        return None
    try:
        return ctx.request().id
    except Exception:  # noqa: BLE001 - never let bookkeeping break an external call
        return None


@dataclass(frozen=True)
class LedgerEntry:
    seq: int
    ts: float
    action: str
    args: dict[str, Any] = field(default_factory=dict)
    invocation: str | None = None
    pid: int | None = None

    def matches(self, action: str, **args: Any) -> bool:
        return self.action == action and all(self.args.get(k) == v for k, v in args.items())


def record(action: str, **args: Any) -> None:
    """Append one external action to the ledger."""
    path = ledger_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = {
        "ts": time.time(),
        "action": action,
        "args": args,
        "invocation": _current_invocation(),
        "pid": os.getpid(),
    }
    data = (json.dumps(line, default=str, ensure_ascii=False) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def _parse(raw: str | bytes, seq: int) -> LedgerEntry | None:
    try:
        d = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return LedgerEntry(
        seq, d.get("ts", 0.0), d.get("action", "?"), d.get("args") or {}, d.get("invocation"), d.get("pid")
    )


def read(path: Path | None = None) -> list[LedgerEntry]:
    """All entries; sequence numbers are line numbers, from 1."""
    return LedgerTail(path or ledger_path()).new_entries()


def count(action: str, path: Path | None = None, **args: Any) -> int:
    return sum(1 for e in read(path) if e.matches(action, **args))


class LedgerTail:
    """Reads only what was appended since the last call (the live view's cost stays flat)."""

    def __init__(self, path: Path):
        self.path = path
        self._offset = 0
        self._seq = 0

    def new_entries(self) -> list[LedgerEntry]:
        try:
            with open(self.path, "rb") as f:
                f.seek(self._offset)
                chunk = f.read()
        except FileNotFoundError:
            return []
        end = chunk.rfind(b"\n") + 1  # leave a partly written last line for next time
        self._offset += end
        out = []
        for raw in chunk[:end].splitlines():
            self._seq += 1
            entry = _parse(raw, self._seq)
            if entry is not None:
                out.append(entry)
        return out
