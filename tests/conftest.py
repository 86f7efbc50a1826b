"""Shared fixtures: the restate-server binary (provisioned once), free ports, CLI runner."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def restate_binary() -> Path:
    from restate_play.sandbox.binary import ensure_binary

    return ensure_binary(lambda m: print(m, file=sys.stderr))


@pytest.fixture
def isolated_state(tmp_path, monkeypatch) -> Path:
    """A private XDG state dir, so tests never see (or break) a user's running `serve`."""
    state = tmp_path / "xdg-state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state


def cli(*args: str, timeout: float = 180, env: dict[str, str] | None = None, check: bool = False):
    """Run `python -m restate_play ...` in a subprocess; returns CompletedProcess (text)."""
    proc = subprocess.run(
        [sys.executable, "-m", "restate_play", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "160", **(env or {})},
        cwd=REPO,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"restate-play {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def run_json(*args: str, **kwargs) -> tuple[int, dict]:
    proc = cli(*args, "--json", **kwargs)
    try:
        return proc.returncode, json.loads(proc.stdout)
    except json.JSONDecodeError as err:
        raise AssertionError(
            f"not JSON (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        ) from err


def pid_gone(pid: int | None) -> bool:
    if not pid:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still "exists" until reaped; it holds no ports, so treat it as gone.
    try:
        return Path(f"/proc/{pid}/status").read_text().find("State:\tZ") >= 0
    except OSError:
        return True


def stop_process_group(proc: subprocess.Popen, sig: int = signal.SIGINT, timeout: float = 20) -> int:
    os.killpg(proc.pid, sig)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
        raise
