"""The end of `run` tells the story: narration with crashes and restarts, then what happened, then the verdict.

Plain lines (a pipe) and the live dashboard in a real terminal (a pty at 80 columns) end the same way.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

import pytest
from conftest import REPO, cli
from rich.cells import cell_len

pytestmark = pytest.mark.e2e

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]|\r")


def in_order(text: str, *fragments: str) -> list[int]:
    """Where each fragment is, each after the one before; fails naming the first one missing.

    A story bullet wrapped onto lines indented by two spaces is read as the one sentence it is.
    """
    text = re.sub(r"\n  (?=\S)", " ", text)
    at, found = 0, []
    for fragment in fragments:
        where = text.find(fragment, at)
        assert where >= 0, f"{fragment!r} not found after position {at}:\n{text[at - 2000 if at > 2000 else 0 :]}"
        found.append(where)
        at = where + len(fragment)
    return found


def test_plain_run_narrates_the_crash_then_tells_what_happened_then_the_verdict(shared_server):
    proc = cli("run", "sagas", "--plain", env={**shared_server["env"], "COLUMNS": "80"})
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-2000:]
    in_order(
        out,
        "[5/12] +",
        "💥 service killed (SIGKILL)",
        "♻ service restarted in",
        "Legend: ⇒ result",
        "What just happened",
        "• 2 requests started 2 invocations of BookingWorkflow/run: 1 failed, 1 succeeded",
        "• The service was killed (SIGKILL) right after 'trip' journaled 'Book car', and restarted",
        "replayed its journal and it completed.",  # after "Restate retried 'trip' N times…", when it saw them
        "• 'Book flight' and 'Book car' were journaled before the crash and did not run again: "
        "the ledger shows flight.book 1×, car.book 1×.",
        "PASSED: 10/10 expectations held",
    )
    assert re.search(r"\n    · \+\d+\.\ds 💥 service killed \(SIGKILL\)\n", out)  # notes carry their time
    story = out[out.index("What just happened") :].splitlines()[1:-1]
    assert 3 <= sum(line.startswith("• ") for line in story) <= 5
    assert all(cell_len(line) <= 80 for line in story), story
    curls = [line for line in out.splitlines() if line.startswith("    $ curl")]
    assert len(curls) == 2 and all(line.endswith("}'") and "│" not in line for line in curls)


def run_in_terminal(args: list[str], env: dict[str, str], cols: int = 80, rows: int = 40, timeout: float = 120) -> str:
    """`restate-play ARGS` with a pty as its terminal (the live dashboard); everything it wrote, as text."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    full_env = {**os.environ, **env, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "restate_play", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=full_env,
        cwd=REPO,
        start_new_session=True,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: every writer closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=30)
        os.close(master)
    assert proc.returncode == 0, ANSI.sub("", b"".join(chunks).decode("utf-8", "replace"))[-3000:]
    return ANSI.sub("", b"".join(chunks).decode("utf-8", "replace"))


def test_live_run_keeps_the_narration_and_the_story_once_the_dashboard_is_gone(shared_server):
    """stateful-actors' service crashes on its own (a simulated fault): narrated, then told."""
    text = run_in_terminal(["run", "stateful-actors"], shared_server["env"])
    footer = "Ctrl-C stops and cleans up"
    assert footer in text  # the live dashboard was drawn
    after = text[text.rindex(footer) + len(footer) :]  # what stays on screen after its last frame
    in_order(
        after,
        "[1/7] +",
        "$ curl -X POST localhost:",
        "💥 the service process exited on its own",
        "[7/7] +",
        "Legend: ",
        "What just happened",
        "• 5 requests started 5 invocations of machineOperator/setUp, machineOperator/tearDown: 5 succeeded.",
        "• The service process crashed on its own (fault 'machine.crash.DOWN:b') while 'b-down' ran, "
        "and the playground restarted it.",
        "• 'Begin DOWN' was journaled before the crash and did not run again: the ledger shows machine.begin 1×.",
        "PASSED: 11/11 expectations held",
    )
    narration = after[: after.index("───")]
    assert not re.search("[│╭╮╰╯┃]", narration), narration  # no box around the commands


def test_json_result_has_the_story_and_the_service_exits(default_run):
    code, result = default_run("stateful-actors")
    assert code == 0
    assert len(result["service_exits"]) == 1 and result["crashes"] == []
    story = result["story"]
    assert 3 <= len(story) <= 5
    assert story[1].startswith("The service process crashed on its own (fault 'machine.crash.DOWN:b') while 'b-down'")
    b_down = next(i for i in result["invocations"] if i["id"] == next(
        r["invocation_id"] for r in result["requests"] if r["label"] == "b-down"))  # fmt: skip
    assert any(e["type"] == "TransientError" for e in b_down["events"])  # Restate's failed attempts, kept
