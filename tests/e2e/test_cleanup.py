"""SIGTERM or Ctrl-C in the middle of `run` leaves no process and no bound port behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from restate_play.waiting import eventually

pytestmark = pytest.mark.e2e


def processes_mentioning(text: str) -> list[int]:
    """PIDs whose command line or environment mentions `text` (our children carry the data dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            blob = (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes()
            status = (entry / "status").read_text()
        except OSError:
            continue
        if text.encode() in blob and "State:\tZ" not in status:
            found.append(int(entry.name))
    return found


def cmdline(pid: int) -> bytes:
    """A process's command line; empty when it has exited since it was listed."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def signal_mid_run(slug: str, sig: int, data_dir: Path, world: bool = False) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "restate_play", "run", slug, "--plain", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO,
        start_new_session=True,
    )
    assert proc.stdout
    lines = []
    for line in proc.stdout:  # wait until the scenario is under way (the server and service are up)
        lines.append(line)
        if line.startswith("[4/"):
            break
    running = processes_mentioning(str(data_dir))
    assert running, "the sandbox should be running now"
    if world:  # the world's own process is one of them (its outbox is in the data dir)
        assert any(b"restate_play.world.later" in cmdline(pid) for pid in running)
    proc.send_signal(sig)
    out = proc.stdout.read()
    code = proc.wait(30)
    assert code == 130, out
    assert "sandbox was stopped" in out
    eventually(
        lambda: processes_mentioning(str(data_dir)),
        until=lambda running: running == [],
        timeout=5,
        what="no process left with the run's data dir in its command line",
    )


@pytest.mark.parametrize(
    "sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=["SIGTERM", "SIGINT", "SIGHUP (terminal closed)"]
)
def test_signal_mid_run_stops_everything(sig, restate_binary, isolated_state, tmp_path):
    signal_mid_run("sagas", sig, tmp_path / "run-data")


def test_signal_mid_run_stops_the_world_process_too(restate_binary, isolated_state, tmp_path):
    signal_mid_run("payment-signals", signal.SIGTERM, tmp_path / "run-data", world=True)
