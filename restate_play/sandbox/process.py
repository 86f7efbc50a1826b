"""Child processes, each in its own process group, always stopped and reaped."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_STOPPING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextmanager
def stop_signals_deferred() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP that arrive inside the block are handled right after it.

    Around a spawn: a KeyboardInterrupt raised inside `subprocess.Popen` after the fork would
    leave the child running with nobody holding its PID to stop it. Only the main thread handles
    signals; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    previous = {sig: signal.getsignal(sig) for sig in _STOPPING_SIGNALS}
    for sig in _STOPPING_SIGNALS:
        signal.signal(sig, lambda signum, _frame: arrived.append(signum))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        for sig in arrived:
            os.kill(os.getpid(), sig)  # now the real handler runs, with the child's PID known


# Every child only talks to 127.0.0.1 (the server to the service, the service to the ingress, the
# broker and the database to their clients). restate-server and httpx both honour these variables,
# and a user's proxy would then receive loopback traffic it cannot deliver.
PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy"}


def child_environment() -> dict[str, str]:
    """This process's environment without proxy settings."""
    return {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARIABLES}


class Child:
    """One child process group with its log file."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        log_path: Path,
        env: Mapping[str, str] | None = None,
        popen_options: Mapping[str, Any] | None = None,
    ):
        self.name = name
        self.args = list(args)
        self.log_path = log_path
        self.env = dict(env or {})
        # Extra Popen arguments, e.g. user/group/cwd for PostgreSQL, which refuses to run as root.
        self.popen_options = dict(popen_options or {})
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child, closed below
        try:
            # start_new_session: the child leads its own process group, so one signal reaches
            # everything it spawns, and Ctrl-C in our terminal does not hit it before we act.
            with stop_signals_deferred():
                self.proc = subprocess.Popen(
                    self.args,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**child_environment(), **self.env},
                    start_new_session=True,
                    **self.popen_options,
                )
        finally:
            log.close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal_group(self, sig: int) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """SIGKILL the whole group and reap it: a crash, as abrupt as it gets."""
        if self.proc is None:
            return
        self.signal_group(signal.SIGKILL)
        self._reap(5.0)

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after `timeout`; the group is gone when this returns."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.signal_group(signal.SIGTERM)
            if not self._reap(timeout):
                self.signal_group(signal.SIGKILL)
                self._reap(5.0)
        # Children of the child that outlived it still belong to the group.
        self.signal_group(signal.SIGKILL)

    def _reap(self, timeout: float) -> bool:
        assert self.proc is not None
        try:
            self.proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def log_tail(self, lines: int = 20) -> list[str]:
        try:
            with self.log_path.open("rb") as log:  # only the end: the log grows with every request
                log.seek(max(0, log.seek(0, os.SEEK_END) - 16384))
                data = log.read()
        except FileNotFoundError:
            return []
        return data.decode("utf-8", "replace").splitlines()[-lines:]
