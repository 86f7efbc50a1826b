"""The user's own code in the playground: `new`, `run DIR|FILE|module:attr`, --watch, broken code,
ledger checks on a service without a ledger, and patterns served from the installed package
whatever the working directory holds. Against real restate-servers, as a user types it."""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import stop_process_group

pytestmark = pytest.mark.e2e

DROP_CAR_CANCEL = (
    '        compensations.append(lambda: ctx.run_typed("Cancel car", travel.cancel_car, customer_id=customer_id))\n'
)

GREETER = """
from datetime import timedelta

import restate
from restate_play.world import ledger

greeter = restate.Service("Greeter")


@greeter.handler()
async def greet(ctx: restate.Context, name: str) -> str:
    {record}
    return f"Hello {{name}}!"


@greeter.handler()
async def later(ctx: restate.Context, name: str) -> str:
    await ctx.sleep(timedelta(seconds=60))  # under way for a minute: a reload meets it
    return f"Hello later {{name}}!"


app = restate.app([greeter])
"""

GREET_SCENARIO = """
title = "greets"

[[step]]
call = "Greeter/greet"
body = "Ada"
expect = { status = 200, body_contains = "Hello Ada" }

[[step]]
expect_ledger = { action = "greeted", count = COUNT }
timeout = 0
"""


def restate_play(*args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    # -P as the `restate-play` script has it: nothing from the working directory is imported.
    cmd = [sys.executable, "-P", "-m", "restate_play", *args]
    env = {**os.environ, "COLUMNS": "160"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)


def run_json(*args: str, cwd: Path) -> tuple[int, dict]:
    done = restate_play("run", *args, "--json", cwd=cwd)
    try:
        return done.returncode, json.loads(done.stdout)
    except json.JSONDecodeError:
        shown = f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        raise AssertionError(f"not JSON (exit {done.returncode}):\n{shown}") from None


def failed(result: dict) -> list[dict]:
    return [c for c in result["expectations"] if not c["passed"]]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    done = restate_play("new", "sagas", "trip", cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    return tmp_path / "trip"


def greeter(tmp_path: Path, record: bool, count: int) -> Path:
    line = 'await ctx.run_typed("record", lambda: ledger.record("greeted", name=name))' if record else "pass"
    (tmp_path / "greeter.py").write_text(GREETER.format(record=line))
    (tmp_path / "greet.toml").write_text(GREET_SCENARIO.replace("COUNT", str(count)))
    return tmp_path


def first_steps(project: Path) -> str:
    """The project's scenario up to its third step: the document's trip and its compensations."""
    steps = (project / "scenario.toml").read_text().split("[[step]]")
    (project / "doc.toml").write_text("[[step]]".join(steps[:4]))
    return "doc.toml"


def test_new_project_passes_and_a_dropped_compensation_fails(project: Path) -> None:
    assert {p.name for p in project.iterdir()} >= {"app.py", "scenario.toml", "test_scenario.py", "README.md"}
    code, result = run_json(".", cwd=project)
    assert code == 0 and result["passed"], failed(result) or result["error"]
    assert result["sandbox"]["code"] == str(project / "app.py")

    app = project / "app.py"
    assert DROP_CAR_CANCEL in app.read_text()
    app.write_text(app.read_text().replace(DROP_CAR_CANCEL, ""))
    code, result = run_json(".", "--scenario", first_steps(project), cwd=project)  # the trip that compensates
    wrong = failed(result)
    assert code == 1 and wrong
    order = [c for c in wrong if c["description"].startswith("world ledger") and "car.cancel" in c["description"]]
    assert order and "car.cancel" not in order[0]["detail"], wrong
    assert all(c["passed"] for c in result["expectations"] if c["description"].startswith("call BookingWorkflow/run"))


def test_a_file_and_a_module_attr(tmp_path: Path) -> None:
    greeter(tmp_path, record=True, count=1)
    code, result = run_json("greeter.py", "--scenario", "greet.toml", cwd=tmp_path)
    assert code == 0 and result["passed"], failed(result) or result["error"]
    assert result["sandbox"]["code"] == str(tmp_path / "greeter.py")
    code, result = run_json("greeter:greeter", "--scenario", "greet.toml", cwd=tmp_path)
    assert code == 0 and result["passed"], failed(result) or result["error"]
    assert result["sandbox"]["code"] == f"module greeter (from {tmp_path}):greeter"


def test_ledger_expectation_of_a_service_without_ledger_is_not_observed(tmp_path: Path) -> None:
    greeter(tmp_path, record=False, count=0)  # "0 times" would hold vacuously: it must not pass
    code, result = run_json("greeter.py", "--scenario", "greet.toml", cwd=tmp_path)
    assert code == 1 and not result["passed"]
    [check] = failed(result)
    assert check["detail"].startswith("not observed: this service keeps no ledger"), check


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("import restate\ndef broken(:\n", "SyntaxError"),
        ("import restate\nraise RuntimeError('no database')\n", "RuntimeError: no database"),
        ("import restate\nservices = [restate.Service('A'), restate.Service('A')]\n", "two services are named A"),
        ("x = 1\n", "defines no Restate service"),
    ],
    ids=["syntax", "raises-at-import", "duplicate-names", "no-services"],
)
def test_broken_code_is_a_clear_error(tmp_path: Path, source: str, words: str) -> None:
    (tmp_path / "app.py").write_text(source)
    (tmp_path / "scenario.toml").write_text(GREET_SCENARIO.replace("COUNT", "0"))
    done = restate_play("run", ".", "--plain", cwd=tmp_path, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "exited during start-up" in done.stderr and words in done.stderr, done.stderr


def test_run_without_scenario_says_how_to_write_one(tmp_path: Path) -> None:
    greeter(tmp_path, record=False, count=0)
    done = restate_play("run", "greeter.py", cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert "has no scenario" in done.stderr and "[[step]]" in done.stderr and "--scenario" in done.stderr


def test_patterns_come_from_the_installed_package_whatever_the_cwd(tmp_path: Path) -> None:
    # A checkout with an edited restate_play in the working directory: it must not be what runs.
    fake = tmp_path / "restate_play"
    (fake / "patterns").mkdir(parents=True)
    (fake / "__init__.py").write_text("raise SystemExit('the working directory copy was imported')\n")
    (fake / "patterns" / "sagas.py").write_text("raise SystemExit('the edited sagas was imported')\n")
    code, result = run_json("sagas", cwd=tmp_path)
    assert code == 0 and result["passed"], failed(result) or result["error"]
    installed = importlib.util.find_spec("restate_play.patterns.sagas").origin
    assert result["sandbox"]["code"] == installed and not installed.startswith(str(tmp_path))


def test_new_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "trip").mkdir()
    (tmp_path / "trip" / "notes.txt").write_text("mine")
    done = restate_play("new", "sagas", "trip", cwd=tmp_path, timeout=60)
    assert done.returncode == 2 and "not empty" in done.stderr
    assert [p.name for p in (tmp_path / "trip").iterdir()] == ["notes.txt"]


class Lines:
    """A command's merged output, line by line, read in a thread (every wait is bounded)."""

    def __init__(self, proc: subprocess.Popen):
        self.seen: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [self._queue.put(line) for line in proc.stdout], daemon=True).start()

    def wait_for(self, *starts: str, timeout: float = 120) -> str:
        """The next line that starts with one of `starts` (its own line: not a narration's words)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append(line)
            if line.lstrip().startswith(starts):
                return line
        raise AssertionError(f"no line starting {starts} within {timeout} s:\n{''.join(self.seen[-60:])}")


def processes_mentioning(text: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and text in (proc / "cmdline").read_bytes().decode(errors="replace"):
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def test_watch_replays_on_save_and_recovers_from_a_syntax_error(project: Path) -> None:
    # Four replays of the document's trip tell a dropped compensation from the original as well.
    cmd = [sys.executable, "-P", "-m", "restate_play", "run", ".", "--scenario", first_steps(project), "--watch"]
    cmd.append("--plain")
    env = {**os.environ, "COLUMNS": "160", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        cmd, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    lines = Lines(proc)
    app = project / "app.py"
    original = app.read_text()
    kept_before = set(processes_mentioning("restate-play-watch-"))  # other tests' sessions, under xdist
    try:
        assert lines.wait_for("PASSED:", "FAILED:", "error:").startswith("PASSED:")
        kept = set(processes_mentioning("restate-play-watch-")) - kept_before
        assert kept, "run --watch keeps one restate-server for its session"
        lines.wait_for("Watching")
        app.write_text(original.replace(DROP_CAR_CANCEL, ""))
        assert lines.wait_for("PASSED:", "FAILED:", "error:").startswith("FAILED:")
        lines.wait_for("Watching")
        app.write_text(original + "\ndef broken(:\n")
        assert "exited during start-up" in lines.wait_for("PASSED:", "FAILED:", "error:")
        lines.wait_for("SyntaxError")
        lines.wait_for("Watching")
        app.write_text(original)
        assert lines.wait_for("PASSED:", "FAILED:", "error:").startswith("PASSED:")
        lines.wait_for("Watching")
        assert proc.poll() is None, "the command itself was never restarted"
        assert kept <= set(processes_mentioning("restate-play-watch-")), "the same server served every replay"
    finally:
        stop_process_group(proc, timeout=30)
    assert processes_mentioning(str(project)) == [], "Ctrl-C left a process behind"
    assert not kept & set(processes_mentioning("restate-play-watch-")), "Ctrl-C left the session's server behind"


def test_serve_watch_reloads_on_save_and_keeps_serving(tmp_path: Path) -> None:
    from restate_play.loopback_http import loopback_client
    from restate_play.sandbox.ports import free_ports

    greeter(tmp_path, record=False, count=0)
    app = tmp_path / "greeter.py"
    ingress, admin, service, fabric = free_ports(4)
    ports = ["--ingress-port", str(ingress), "--admin-port", str(admin), "--service-port", str(service)]
    cmd = [sys.executable, "-P", "-m", "restate_play", "serve", "greeter.py", "--watch", *ports]
    env = {**os.environ, "COLUMNS": "160", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [*cmd, "--fabric-port", str(fabric)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines = Lines(proc)

    def greet() -> str:
        with loopback_client(timeout=20.0) as http:
            return http.post(f"http://127.0.0.1:{ingress}/Greeter/greet", json="Ada").json()

    try:
        lines.wait_for("code     ")
        lines.wait_for("Ctrl-C stops everything")
        assert greet() == "Hello Ada!"
        with loopback_client(timeout=20.0) as http:  # one invocation under way when the save comes
            assert http.post(f"http://127.0.0.1:{ingress}/Greeter/later/send", json="Ada").status_code == 202
        app.write_text(app.read_text().replace("Hello", "Hi"))
        assert "registered again" in lines.wait_for("Reloaded in")
        assert "Greeter/later" in lines.wait_for("1 invocation(s) under way on the old code")
        assert greet() == "Hi Ada!"
        app.write_text(app.read_text() + "\ndef broken(:\n")
        lines.wait_for("The greeter service process exited during start-up")
        app.write_text(app.read_text().replace("\ndef broken(:\n", "").replace("Hi", "Hey"))
        lines.wait_for("Reloaded in")
        assert greet() == "Hey Ada!"
    finally:
        stop_process_group(proc, timeout=30)
    assert processes_mentioning(str(tmp_path)) == [], "Ctrl-C left a process behind"
