"""What the emulated world does later, on its own: a provider's webhooks.

A real provider is outside your service: when your service crashes, Stripe still sends the
webhook, and Restate's ingress takes it and holds it until the service is back. So the world's
delayed work must not run in the service process, where a SIGKILL would take it down too.
`call_later` appends the call to the sandbox's outbox (one `O_APPEND` write, like the ledger), and
the world's own process (`python -m restate_play.world.later <outbox>`, started by the sandbox with
the service's environment, never killed by a scenario) runs it at its time.

Without an outbox (a unit test, a bare import), the call runs on a thread here, as before.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

OUTBOX_ENV_VAR = "RESTATE_PLAY_OUTBOX"


def call_later(fn: Callable[..., Any], delay_seconds: float, *args: Any) -> None:
    """Have the world call `fn(*args)` (a module-level function, JSON arguments) in `delay_seconds`."""
    outbox = os.environ.get(OUTBOX_ENV_VAR)
    if not outbox:
        timer = threading.Timer(max(0.0, delay_seconds), _call, (fn, args))
        timer.daemon = True
        timer.start()
        return
    entry = {"fn": f"{fn.__module__}:{fn.__qualname__}", "args": list(args), "at": time.time() + delay_seconds}
    line = (json.dumps(entry) + "\n").encode()
    fd = os.open(outbox, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def _call(fn: Callable[..., Any], args: tuple | list) -> None:
    try:
        result = fn(*args)
        if inspect.iscoroutine(result):
            asyncio.run(result)
    except Exception as err:  # noqa: BLE001 - one failed delivery must not end the world
        print(f"[world] {fn.__qualname__} failed: {err!r}", flush=True)


def _resolve(name: str) -> Callable[..., Any]:
    module, _, qualname = name.partition(":")
    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def serve_outbox(path: Path, poll_seconds: float = 0.05, stop: threading.Event | None = None) -> None:
    """Run every call appended to the outbox at its time, each on its own thread (they may sleep)."""
    offset = 0
    while stop is None or not stop.is_set():
        try:
            with path.open("rb") as f:
                f.seek(offset)
                chunk = f.read()
        except FileNotFoundError:
            chunk = b""
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written waits for the next turn
        offset += len(complete)
        for raw in complete.splitlines():
            try:
                entry = json.loads(raw)
                fn = _resolve(entry["fn"])
            except (ValueError, KeyError, ImportError, AttributeError) as err:
                print(f"[world] skipped an outbox line ({err!r}): {raw[:200]!r}", flush=True)
                continue
            delay = max(0.0, float(entry.get("at", 0)) - time.time())
            timer = threading.Timer(delay, _call, (fn, entry.get("args", [])))
            timer.daemon = True
            timer.start()
        time.sleep(poll_seconds)


def main(argv: list[str] | None = None) -> None:
    from restate_play.sandbox.whole_lines import WholeLineWriter

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.exit("usage: python -m restate_play.world.later <outbox file>")
    # It shares the service's log: whole lines only, as the service writes them.
    sys.stdout, sys.stderr = WholeLineWriter(1), WholeLineWriter(2)
    try:
        serve_outbox(Path(args[0]))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
