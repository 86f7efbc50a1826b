"""Shared fixtures: the restate-server binary (provisioned once), free ports, CLI runner."""

from __future__ import annotations

import contextlib
import copy
import fcntl
import inspect
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from restate_play.patterns.catalog import get_pattern
from restate_play.sandbox.ports import free_ports, port_in_use, retarget
from restate_play.waiting import eventually

REPO = Path(__file__).resolve().parent.parent
# Default runs whose checks measure time (gaps, how many at once): played `alone` (default_run).
TIMING_SENSITIVE_RUNS = {"rate-limiting", "priority-queue"}
_DEFAULT_RUN_OF = re.compile(r"""default_run\(\s*["']([a-z0-9-]+)["']""")
# pytester: tests/plugin runs users' test files through the pytest plugin (only a top-level conftest may say so).
pytest_plugins = ["pytester"]


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "alone: under pytest -n N, no other test runs meanwhile (its checks measure time, or it loads the machine)",
    )


def _default_run_slug(item) -> str:
    """The pattern whose default run the test reads: its `slug` parameter, the slug it names, or its file's."""
    callspec = getattr(item, "callspec", None)
    if callspec and callspec.params.get("slug"):
        return callspec.params["slug"]
    try:
        named = _DEFAULT_RUN_OF.search(inspect.getsource(item.function))
    except (OSError, TypeError):
        named = None
    return named.group(1) if named else item.path.stem.removeprefix("test_").replace("_", "-")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """The e2e marker, and groups for `--dist loadgroup`: each pattern's default-run readers on one worker.

    `default_run` is per session, and each xdist worker is a session: readers of one pattern's run
    spread over workers would play it once per worker.
    """
    for item in items:
        if "e2e" in item.path.parts:  # every test under tests/e2e, so `-m "not e2e"` runs the fast ones
            item.add_marker(pytest.mark.e2e)
        if "default_run" not in getattr(item, "fixturenames", ()):
            continue
        item.add_marker(pytest.mark.xdist_group(f"default-run-{_default_run_slug(item)}"))


class Turns:
    """Under xdist, a test marked `alone` runs while no other test does; the others run side by side.

    One lock file per run: every test holds it shared, an `alone` one exclusive. A second lock, the
    gate, is held only while taking the first, so an `alone` test waiting for its turn stops new
    tests from starting (else a stream of shared holders could keep it waiting for ever). Nothing
    waits for the gate while holding the lock, so two workers can never wait on each other.
    """

    def __init__(self, base: Path):
        self.gate, self.lock = open(f"{base}.gate", "a"), open(f"{base}.lock", "a")  # noqa: SIM115
        self.exclusive = False

    def take(self, exclusive: bool) -> None:
        fcntl.flock(self.gate, fcntl.LOCK_EX)
        fcntl.flock(self.lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        fcntl.flock(self.gate, fcntl.LOCK_UN)
        self.exclusive = exclusive

    @contextlib.contextmanager
    def alone(self) -> Iterator[None]:
        """Exclusive for a while inside a test that holds the shared turn (a timing-sensitive run)."""
        if self.exclusive:
            yield
            return
        fcntl.flock(self.lock, fcntl.LOCK_UN)  # before the gate: see the class's comment
        self.take(exclusive=True)
        try:
            yield
        finally:
            fcntl.flock(self.lock, fcntl.LOCK_SH)  # back to shared, without the gate
            self.exclusive = False

    def close(self) -> None:
        self.gate.close()
        self.lock.close()  # releases the lock


_turns: Turns | None = None  # this worker's (one test at a time per worker)


@pytest.fixture(autouse=True)
def _alone_or_beside_others(request, tmp_path_factory):
    global _turns
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # one process: nothing runs beside anything
        yield
        return
    _turns = Turns(tmp_path_factory.getbasetemp().parent / "tests")  # the run's temp dir: all its workers
    _turns.take(exclusive=request.node.get_closest_marker("alone") is not None)
    try:
        yield
    finally:
        _turns.close()
        _turns = None


def alone() -> contextlib.AbstractContextManager:
    """Nothing else runs meanwhile (under xdist; a no-op in one process)."""
    return _turns.alone() if _turns else contextlib.nullcontext()


@pytest.fixture(scope="session")
def restate_binary() -> Path:
    from restate_play.sandbox.binary import ensure_binary

    return ensure_binary(lambda m: print(m, file=sys.stderr))


@pytest.fixture(scope="session")
def shared_server(restate_binary, tmp_path_factory):
    """One restate-server (`restate-play server start`) for the runs that can share it; stopped at the end.

    Its state dir is the session's own, never a test's `isolated_state`: tests that start, stop or
    crash servers keep theirs. Runs on it clear what earlier runs of their pattern left.
    """
    home = tmp_path_factory.mktemp("shared-xdg-state")
    env = {"XDG_STATE_HOME": str(home)}
    started = json.loads(cli("server", "start", "--json", env=env, check=True).stdout)
    started["env"] = env
    yield started
    stopped = json.loads(cli("server", "stop", "--json", env=env, check=True).stdout)
    assert stopped["stopped"] and pid_gone(started["pid"])
    for port in (started["ingress"], started["admin"]):
        assert not port_in_use(port), f"port {port} still bound after the shared server stopped"


@pytest.fixture(scope="session")
def default_run(shared_server):
    """`restate-play run <slug> --json` played once per session on the shared server: (exit code, result).

    Several tests read the same default run (it passes; its records tell the pattern's story), so
    it is played once; each caller gets its own copy.
    """
    runs: dict[str, tuple[int, dict]] = {}

    def get(slug: str) -> tuple[int, dict]:
        if slug not in runs:
            with alone() if slug in TIMING_SENSITIVE_RUNS else contextlib.nullcontext():
                runs[slug] = run_json("run", slug, env=shared_server["env"])
        code, result = runs[slug]
        return code, copy.deepcopy(result)

    return get


@pytest.fixture(autouse=True)
def isolated_state(tmp_path, monkeypatch) -> Path:
    """A private XDG state dir for every test (autouse), so no test sees or breaks a user's running
    `serve` or shared server, nor another test's, also when tests run in parallel (`pytest -n N`).

    Caches (XDG_CACHE_HOME: the restate-server binary, PostgreSQL's initdb output) stay shared: they
    are filled under a lock or by an atomic rename. Take the fixture by name for the path.
    """
    state = tmp_path / "xdg-state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state


def write_scenario(tmp_path: Path, text: str, name: str = "broken.toml") -> Path:
    """A scenario file with this text, for the loader's tests."""
    path = tmp_path / name
    path.write_text(text)
    return path


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


class ChildLog:
    """A child process's output in a file, read while it writes.

    The child gets a file description of its own: sharing ours would share its offset, so a
    `seek(0)` to read would make the child write over the start of its log (a test once read a
    line starting in the middle of a "─")."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.write_bytes(b"")

    def for_child(self):
        return open(self.path, "ab")  # noqa: SIM115  (closed by the caller once Popen has it)

    def text(self) -> str:
        # A character half written when read shows as U+FFFD this once; the next read has it whole.
        return self.path.read_bytes().decode("utf-8", "replace")


class Served:
    """A `restate-play serve <slug>` on free ports, with a private state dir (use the `serve` fixture)."""

    def __init__(self, slug: str, state_home):
        self.slug = slug
        self.ingress, self.admin, self.service, self.fabric, *self.clients = free_ports(
            4 + len(get_pattern(slug).client_ports)
        )
        args = [
            sys.executable,
            "-m",
            "restate_play",
            "serve",
            slug,
            "--ingress-port",
            str(self.ingress),
            "--admin-port",
            str(self.admin),
            "--service-port",
            str(self.service),
            "--fabric-port",
            str(self.fabric),
            "--time-scale",
            "0.2",
        ]
        for port in self.clients:
            args += ["--client-port", str(port)]
        self.env = {**os.environ, "XDG_STATE_HOME": str(state_home), "COLUMNS": "200"}
        self.log = ChildLog(state_home.parent / f"serve-{slug}.log")
        with self.log.for_child() as out:
            self.proc = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, env=self.env, cwd=REPO, start_new_session=True
            )

        def ready() -> str:
            assert self.proc.poll() is None, f"serve exited early:\n{self.output()}"
            return self.output()

        eventually(ready, until=lambda out: "Ctrl-C stops everything" in out, timeout=60, what=f"serve {slug} ready")
        self.sandbox = json.loads((state_home / "restate-play" / "serves" / f"{self.admin}.json").read_text())

    def output(self) -> str:
        return self.log.text()

    def wait_output(self, text: str, timeout: float = 10) -> str:
        """The output once `text` is in it (raises, with the output's end, when it is not in time)."""
        return eventually(self.output, until=lambda out: text in out, timeout=timeout, what=f"{text!r} in the output")

    def curl(self, line: str) -> str:
        """Run one of the document's curl lines, only the ports changed."""
        mapping = {8080: self.ingress, 9070: self.admin}
        mapping.update(zip(get_pattern(self.slug).client_ports, self.clients, strict=True))
        line = retarget(line, mapping)
        proc = subprocess.run(
            ["bash", "-c", line.replace("curl ", "curl -s --max-time 30 ", 1)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        return proc.stdout

    def stop(self, sig=signal.SIGINT) -> int:
        state = json.loads(Path(self.sandbox["state_file"]).read_text())
        code = stop_process_group(self.proc, sig)
        assert pid_gone(state["server"]["pid"]) and pid_gone(state["service"]["pid"])
        for port in (self.ingress, self.admin, self.service, self.fabric, *self.clients):
            assert not port_in_use(port), f"port {port} still bound after stop"
        return code


@pytest.fixture
def serve(restate_binary, isolated_state):
    started: list[Served] = []

    def start(slug: str) -> Served:
        s = Served(slug, isolated_state)
        started.append(s)
        return s

    yield start
    for s in started:
        if s.proc.poll() is None:
            s.stop()
