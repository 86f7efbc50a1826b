"""The pytest plugin, tested as a user runs it: pytest's own `pytester` runs a user's test files in a
fresh pytest process (the plugin loads through its `pytest11` entry point) against a real server.

One run holds many user tests (one server start for all of them): passing and failing ones, crashes
of the service and the server, always-replay catching a non-deterministic handler. Then: no process
of the session may be left, after a normal end, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from restate_play.commands.new import new_project
from restate_play.waiting import eventually

pytestmark = pytest.mark.e2e

APP = """
from datetime import timedelta

import restate
from restate_play.world import ledger

counter = restate.VirtualObject("counter")


@counter.handler()
async def add(ctx: restate.ObjectContext, amount: int) -> int:
    total = (await ctx.get("count", type_hint=int) or 0) + amount
    ctx.set("count", total)
    return total


steps = restate.Service("steps")


@steps.handler()
async def run(ctx: restate.Context, name: str) -> str:
    await ctx.run_typed("one", lambda: ledger.record("step.one", who=name))
    await ctx.sleep(timedelta(milliseconds=300), name="pause")
    await ctx.run_typed("two", lambda: ledger.record("step.two", who=name))
    return f"done {name}"


@steps.handler()
async def approval(ctx: restate.Context, who: str) -> str:
    awakeable_id, answer = ctx.awakeable(type_hint=str)
    await ctx.run_typed("ask", lambda: ledger.record("approval.asked", who=who, awakeable=awakeable_id))
    return await answer


_welcomed: set[str] = set()


@steps.handler()
async def greet(ctx: restate.Context, name: str) -> str:
    # The bug always-replay finds: process memory decides the code path, not the journal, so a
    # replay of this invocation skips the step it journaled the first time.
    if name not in _welcomed:
        _welcomed.add(name)
        await ctx.run_typed("welcome", lambda: ledger.record("mail.welcome", to=name))
    await ctx.sleep(timedelta(milliseconds=50), name="pause")
    return f"hello {name}"


app = restate.app([counter, steps])
"""

USER_TESTS = """
import time

import pytest

from restate_play.testing import CrashNotReached, InvocationFailed, RestateCallError

pytestmark = pytest.mark.restate_app("app:app")


def test_state_of_a_virtual_object(restate):
    assert restate.call("counter/a/add", json=2) == 2
    assert restate.call("counter/a/add", json=3) == 5
    assert restate.state("counter", "a") == {"count": 5}
    restate.set_state("counter", "a", {"count": 40})
    assert restate.call("counter/a/add", json=2) == 42
    assert [i.target for i in restate.invocations()] == ["counter/a/add"] * 3


def test_earlier_tests_are_purged(restate):
    assert restate.state("counter", "a") == {}
    assert restate.invocations() == []
    assert restate.ledger.entries() == []


def test_idempotency_key_and_delay(restate):
    first = restate.send("counter/b/add", json=1, idempotency_key="k1")
    again = restate.send("counter/b/add", json=1, idempotency_key="k1")
    assert again.id == first.id and first.result() == 1
    later = restate.send("counter/b/add", json=10, delay=0.6)
    assert later.status() == "scheduled"
    started = time.monotonic()
    assert later.result(timeout=10) == 11
    assert time.monotonic() - started > 0.3


def test_crash_the_service_after_a_step(restate):
    pid = restate.pids()["service"]
    run = restate.send("steps/run", json="ada")
    restate.crash_service(after_entry="one", of=run)
    assert run.result(timeout=30) == "done ada"
    assert restate.pids()["service"] != pid
    assert restate.ledger.count("step.one", who="ada") == 1  # journaled before the crash: not run again
    assert restate.journal(run).names() == ["one", "pause", "two"]
    assert restate.crashes[0]["target"] == "service" and restate.crashes[0]["after_entry"] == "one"


def test_crash_the_server_after_a_step(restate):
    run = restate.send("steps/run", json="bob")
    restate.crash_server(after_entry="one", of=run)
    assert run.result(timeout=30) == "done bob"
    assert restate.ledger.count("step.one", who="bob") == 1


def test_a_crash_point_never_reached_says_so(restate):
    run = restate.send("steps/run", json="eve")
    with pytest.raises(CrashNotReached, match="no-such-step"):
        restate.crash_service(after_entry="no-such-step", of=run, timeout=5)


def test_a_crash_without_restart(restate):
    restate.crash_service(restart=False)
    with pytest.raises(InvocationFailed, match="did not complete within 1 s"):
        restate.call("counter/q/add", json=1, timeout=1)


def test_the_next_test_gets_the_service_back(restate):
    assert restate.call("counter/q/add", json=1) == 1


def test_awakeable_and_cancel(restate):
    ask = restate.send("steps/approval", json="ada")
    asked = restate.ledger.wait_for("approval.asked", who="ada", timeout=10)
    restate.resolve_awakeable(asked.args["awakeable"], "yes")
    assert ask.result() == "yes"
    waiting = restate.send("steps/approval", json="bob")
    restate.ledger.wait_for("approval.asked", who="bob", timeout=10)
    restate.cancel(waiting)
    with pytest.raises(RestateCallError) as cancelled:
        waiting.result()
    assert cancelled.value.status == 409


def test_fails_on_purpose(restate):
    assert restate.call("counter/z/add", json=7) == 99


def test_greet_passes_without_replay(restate):
    assert restate.call("steps/greet", json="ada") == "hello ada"


@pytest.mark.restate_always_replay
def test_greet_under_always_replay(restate):
    assert restate.send("steps/greet", json="bob").result(timeout=20) == "hello bob"


@pytest.mark.restate_always_replay
def test_deterministic_handler_under_always_replay(restate):
    run = restate.send("steps/run", json="cy")
    assert run.result(timeout=20) == "done cy"
    assert restate.ledger.count("step.one", who="cy") == 1
"""

PER_TEST = """
import pytest

pytestmark = pytest.mark.restate_app(["app:counter", "app:steps"], scope="test")
PIDS = []


def test_first(restate):
    PIDS.append(restate.pids()["service"])
    assert restate.invocations() == []  # sagas/ ran before on this server: its invocations are not ours
    assert restate.call("counter/x/add", json=1) == 1


def test_second_gets_a_fresh_process(restate):
    assert restate.pids()["service"] not in PIDS
    assert restate.call("steps/run", json="dee") == "done dee"
"""


# Plugins of this environment the users' runs do not need (hypothesis alone takes seconds to import here).
QUIET_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:hypothesispytest", "-p", "no:randomly")


@pytest.fixture(autouse=True)
def _server_binary(restate_binary: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # pytester points HOME at its folder: without this, each run would fetch the server into it.
    monkeypatch.setenv("RESTATE_SERVER_BIN", str(restate_binary))


def _plugin_installed() -> None:
    names = [ep.value for ep in entry_points(group="pytest11")]
    assert "restate_play.testing.plugin" in names, "the pytest11 entry point is missing: pip install -e ."


def _leftovers(where: Path) -> dict[int, str]:
    """The session's server and service processes: their command lines name the user's folder or basetemp."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(where) in cmdline and ("restate-server" in cmdline or "service_main" in cmdline):
            found[int(proc.name)] = cmdline[:160]
    return found


def _no_leftovers(where: Path) -> None:
    """None left (after a short grace); any found is killed, so a failing check leaves nothing either."""
    try:
        eventually(lambda: not _leftovers(where), timeout=10, interval=0.1, what="no process of the session left")
    finally:
        for pid in _leftovers(where):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_users_tests_pass_fail_crash_and_replay(pytester: pytest.Pytester) -> None:
    _plugin_installed()
    pytester.makepyfile(app=APP, test_user=USER_TESTS, test_per_test=PER_TEST)
    # A project from `restate-play new sagas` beside them: its test_app.py (first request, crash demo).
    new_project("sagas", pytester.path / "sagas")
    (pytester.path / "sagas" / "test_scenario.py").unlink()  # `restate-play run .`: tested elsewhere
    result = pytester.runpytest_subprocess(*QUIET_PLUGINS, "-v")
    result.assert_outcomes(passed=15, failed=2)
    result.stdout.fnmatch_lines(["*sagas/test_app.py::test_survives_a_crash_after_book_car PASSED*"])
    result.stdout.fnmatch_lines(
        [
            "*test_fails_on_purpose FAILED*",
            "*test_greet_under_always_replay FAILED*",
        ]
    )
    out = result.stdout.str()
    # The failure report: the test's invocation with its journal, and what the service printed.
    assert "restate: invocations of this test" in out and "counter/z/add" in out
    assert "Output" in out and "restate: service log (end)" in out
    # Always replay: the hidden non-determinism is a failing test that names the mismatch.
    assert "InvocationFailed" in out and "mismatch" in out.lower()
    _no_leftovers(pytester.path)


def test_always_replay_option_for_the_whole_session(pytester: pytest.Pytester) -> None:
    """The same test passes without replay in the run above (test_greet_passes_without_replay)."""
    pytester.makepyfile(
        app=APP,
        test_replay="""
import pytest

pytestmark = pytest.mark.restate_app("app:app")


def test_greet(restate):
    assert restate.call("steps/greet", json="ada", timeout=10) == "hello ada"
""",
    )
    replayed = pytester.runpytest_subprocess(*QUIET_PLUGINS, "--restate-always-replay")
    replayed.assert_outcomes(failed=1)
    _no_leftovers(pytester.path)


SLOW_TEST = """
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.restate_app("app:app")


def test_waits_for_ever(restate):
    restate.send("steps/approval", json="ada")
    restate.ledger.wait_for("approval.asked", timeout=20)
    (Path(__file__).parent / "ready").write_text("up")
    time.sleep(120)
"""


def _start_slow_session(folder: Path) -> subprocess.Popen[bytes]:
    folder.mkdir()
    (folder / "app.py").write_text(APP)
    (folder / "test_slow.py").write_text(SLOW_TEST)
    args = [sys.executable, "-m", "pytest", *QUIET_PLUGINS, "-q", f"--basetemp={folder / 'basetemp'}", "test_slow.py"]
    return subprocess.Popen(args, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_an_interrupted_session_leaves_nothing_running(pytester: pytest.Pytester) -> None:
    """Ctrl-C in one session, SIGTERM (a cancelled CI job) in another, both mid-test (run side by side)."""
    sessions = {sig: _start_slow_session(pytester.path / sig.name) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for sig, proc in sessions.items():
            ready = pytester.path / sig.name / "ready"
            up = lambda ready=ready, proc=proc: ready.exists() or proc.poll() is not None  # noqa: E731
            eventually(up, timeout=60, interval=0.1, what=f"the test running ({sig.name} session)")
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert _leftovers(pytester.path / sig.name), "the session's server and service should be running now"
            proc.send_signal(sig)
        for proc in sessions.values():
            proc.wait(timeout=60)
    finally:
        for proc in sessions.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        _no_leftovers(pytester.path)
