"""Exercises end to end, against real restate-servers: for every exercise the untouched starting
file fails its checks and the reference solution passes them under five seeds (each lands the crash
at another moment and keeps it down for another time), and the loop
itself in a real terminal (tmux): start, a failing save, the solution gate, a hint, a fixing save,
Ctrl-C leaving nothing behind, reset."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest
from conftest import REPO
from test_tutorial import sandbox_processes

from restate_play.exercises.catalog import find_exercise, load_exercises
from restate_play.exercises.checking import check_file, seeds_matter
from restate_play.exercises.progress import progress_file
from restate_play.waiting import eventually

pytestmark = pytest.mark.e2e

EXERCISES = load_exercises()


SEEDS = range(1, 6)  # the "at least five seeds"


def seeds_of(exercise) -> list[int]:
    # Every solution, the Kafka one too (its checks start a private restate-server and a broker, ~5 s
    # each), under the same five seeds.
    assert seeds_matter(exercise), f"{exercise.id}: no crash in its checks for a seed to move"
    return list(SEEDS)


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_starting_file_fails_and_solution_passes(shared_server, monkeypatch, exercise):
    # On the session's shared restate-server, as `restate-play server start` makes a learner's
    # checks faster: no server start or stop per check; each check forgets its services' leftovers.
    marker = shared_server["env"]["XDG_STATE_HOME"]
    monkeypatch.setenv("XDG_STATE_HOME", marker)
    seeds = seeds_of(exercise)
    t0 = time.monotonic()
    start_seed = seeds[EXERCISES.index(exercise) % len(seeds)]  # the start, under one of the same crashes
    start = check_file(exercise, exercise.start, seed=start_seed)
    assert not start.passed and start.failed and not start.changed, start.claims
    assert all(c.title for c in start.failed)  # named in the learner's terms (the step's `say`)
    times = []
    for seed in seeds:  # each seed lands the crash elsewhere (another entry, later, down longer)
        solved = check_file(exercise, exercise.solution, seed=seed)
        assert solved.passed and solved.changed, (seed, solved.claims, solved.proof, solved.error)
        times.append(f"{solved.seconds:.1f}")
    assert not [p for p in sandbox_processes(marker) if not p.startswith(f"{shared_server['pid']}:")]
    took = time.monotonic() - t0
    print(f"{exercise.id}: start {start.seconds:.1f} s, solution seeds {seeds}: {', '.join(times)} s; {took:.1f} s")


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=10).stdout


def _cli(*args: str, cwd, env) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "restate_play", "exercise", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=cwd, env=env)


# Not `alone`: each screen is waited for up to 15-60 s, ample beside other tests, and an `alone` test
# holds the other workers idle while it waits for its turn and runs.
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (./run-tests installs it with apt-get)")
def test_the_loop_in_a_real_terminal(restate_binary, isolated_state, tmp_path):
    exercise = find_exercise("charge-once")
    work = tmp_path / "work"
    work.mkdir()
    mine = work / exercise.file_name
    env = {**os.environ, "XDG_STATE_HOME": str(isolated_state), "COLUMNS": "150"}
    session = f"restate-play-exercise-{os.getpid()}"
    command = (
        f"cd {work} && env XDG_STATE_HOME={isolated_state} PYTHONPATH={REPO} {sys.executable} -m restate_play "
        "exercise; echo EXERCISE-EXIT=$?; sleep 120"
    )
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "150", "-y", "50", command], check=True)

    def pane() -> str:
        return _tmux("capture-pane", "-p", "-J", "-S", "-1000", "-t", session)

    def wait_for(text: str, count: int = 1, timeout: float = 60) -> str:
        what = f"{text!r} {count}× on screen"
        return eventually(pane, until=lambda screen: screen.count(text) >= count, timeout=timeout, what=what)

    try:
        # Start: the next exercise (the first), its file written here and said so, checked at once.
        screen = wait_for("NOT YET")
        assert f"Wrote the starting file: {mine}" in screen and "Exercise 1/" in screen
        assert "untouched starting file" in screen and "The card was charged exactly once — 2×" in screen
        assert mine.read_text() == exercise.start.read_text()
        gate = _cli("--solution", cwd=work, env=env)  # no real attempt yet: closed
        assert gate.returncode == 2 and "after your first attempt" in gate.stderr, gate.stderr
        # A failing save: a change that still charges outside the journal.
        wait_for("for changes; Ctrl-C stops")
        mine.write_text(exercise.start.read_text().replace("amount = 42", "amount = 40 + 2"))
        screen = wait_for("NOT YET", count=2)
        assert "Changed: charge_once.py" in screen and "2×" in screen
        hint = _cli("--hint", cwd=work, env=env)
        assert hint.returncode == 0 and "Hint 1/3 (charge-once)" in hint.stdout, hint.stdout
        shown = _cli("--solution", cwd=work, env=env)
        assert shown.returncode == 0 and 'ctx.run_typed("Charge"' in shown.stdout and "Why" in shown.stdout
        # A fixing save: passed, and the next exercise offered.
        wait_for("for changes; Ctrl-C stops", count=2)
        mine.write_text(exercise.solution.read_text())
        screen = wait_for("PASSED")
        assert "Next: `restate-play exercise idempotent-payment`" in screen
        saved = eventually(  # saved once the sandbox is down (the verdict is shown before)
            lambda: json.loads(progress_file().read_text())["exercises"]["charge-once"],
            until=lambda entry: entry["passed"],
            timeout=15,
            what="charge-once saved as passed",
        )
        assert saved["attempts"] == 2 and saved["hints"] == 1
        # Ctrl-C: nothing left running.
        wait_for("for changes; Ctrl-C stops", count=3)
        _tmux("send-keys", "-t", session, "C-c")
        screen = wait_for("EXERCISE-EXIT=", timeout=30)
        assert "EXERCISE-EXIT=130" in screen, screen
        assert not sandbox_processes(str(isolated_state))
        # Reset: progress forgotten, the starting file back.
        listed = json.loads(_cli("--list", "--json", cwd=work, env=env).stdout)["exercises"]
        assert listed[0]["mark"] == "✔" and listed[1]["next"]
        done = _cli("--reset", "charge-once", cwd=work, env=env)
        assert done.returncode == 0 and "forgotten" in done.stdout
        assert mine.read_text() == exercise.start.read_text()
        assert "charge-once" not in json.loads(progress_file().read_text())["exercises"]
    finally:
        _tmux("kill-session", "-t", session)


def test_check_once_exit_codes_and_json(restate_binary, isolated_state, tmp_path):
    """--check --file: exit 1 on the starting file (JSON verdict naming the failed check), 0 on the solution."""
    exercise = find_exercise("saga-undo-first")
    env = {**os.environ, "XDG_STATE_HOME": str(isolated_state), "COLUMNS": "150"}
    failing = _cli(exercise.id, "--check", "--file", str(exercise.start), "--json", cwd=tmp_path, env=env)
    verdict = json.loads(failing.stdout)
    assert failing.returncode == 1 and not verdict["passed"] and not verdict["changed"]
    assert "The room the hotel booked before timing out was cancelled too" in [
        c["title"] for c in verdict["claims"] if not c["passed"]
    ]
    assert any(line.startswith("ledger #") and "hotel.booked" in line for line in verdict["proof"])
    mine = tmp_path / exercise.file_name
    mine.write_text(exercise.solution.read_text())
    passing = _cli(exercise.id, "--check", cwd=tmp_path, env=env)  # ./saga_undo_first.py by default
    assert passing.returncode == 0 and "PASSED" in passing.stdout, passing.stdout + passing.stderr
    broken = tmp_path / "broken.py"
    broken.write_text("import restate\ndef (:\n")
    assert _cli(exercise.id, "--check", "--file", str(broken), cwd=tmp_path, env=env).returncode == 1
