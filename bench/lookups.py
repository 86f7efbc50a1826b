"""The lookups as whole processes, next to the Restate CLI's own, on the same server in the same run.

    python bench/lookups.py [--runs 21] [--checkout DIR] [--venv DIR]

Starts `restate-play serve stateful-actors` (free ports, a private state dir), makes state and
invocations (setUp of five objects, some retried), then times each pair of commands
alternately (ours, theirs, ours, …, so drift on a shared machine hits both alike) and prints the
median and spread (min–max) of each, and ours/theirs:

  state get       restate-play state get machineOperator a   |  restate kv get machineOperator a
  invocations     restate-play invocations list              |  restate invocations list --all
  describe        restate-play invocations describe <id>     |  restate invocations describe <id>
  state get --json  (no rich: the scripts' path)
  python          python -c pass (the interpreter's own start, the floor for any Python command)

With --venv DIR, ours is the console script of a virtual environment of its own with the checkout
installed (made when DIR is missing), as `pip install` leaves it on a user's machine: without this
interpreter's site-packages and their .pth files (one here imports certifi at every start, ~45 ms).
The Restate CLI 1.7.12 is the npm registry's static binary (@restatedev/restate-<os>-<arch>),
installed once into the playground's cache dir (never the repository). Output goes to a pipe.
The machine's load moves every number: compare the columns of one run, and each with `python`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from restate_play.loopback_http import loopback_client
from restate_play.paths import cache_dir
from restate_play.sandbox.ports import free_ports
from restate_play.waiting import eventually

CLI_VERSION = "1.7.12"
KEYS = ("a", "b", "c", "d", "e")


def restate_cli() -> Path:
    """The Restate CLI binary, installed from npm into the cache dir the first time."""
    arch = {"x86_64": "x64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine()]
    package = f"@restatedev/restate-{sys.platform}-{arch}"
    prefix = cache_dir() / f"restate-cli-{CLI_VERSION}"
    binary = prefix / "node_modules" / package / "bin" / "restate"
    if not binary.exists():
        subprocess.run(
            ["npm", "install", "--prefix", str(prefix), "--ignore-scripts", "--no-audit", "--no-fund",
             f"{package}@{CLI_VERSION}"],
            check=True, timeout=300,
        )  # fmt: skip
    return binary


def fresh_venv(venv: Path, checkout: Path) -> Path:
    """A virtual environment of its own with `checkout` installed (not editable), as a user has it."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(checkout)]
        subprocess.run(pip, check=True, timeout=600)
    return python


def ours() -> list[str]:
    """`restate-play` as a user runs it: the console script beside this interpreter."""
    script = Path(sys.executable).with_name("restate-play")
    return [str(script)] if script.exists() else [sys.executable, "-m", "restate_play"]


class Serve:
    def __init__(self, state_home: str) -> None:
        self.ingress, self.admin, self.service, self.fabric = free_ports(4)
        ports = {"--ingress-port": self.ingress, "--admin-port": self.admin, "--service-port": self.service}
        args = [*ours(), "serve", "stateful-actors", "--fabric-port", str(self.fabric), "--time-scale", "0.1"]
        for flag, port in ports.items():
            args += [flag, str(port)]
        self.log = Path(state_home) / "serve.log"
        self.proc = subprocess.Popen(
            args,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            env={**os.environ, "XDG_STATE_HOME": state_home},
            start_new_session=True,
        )
        eventually(
            lambda: self.proc.poll() is None and "Ctrl-C stops everything" in self.log.read_text(),
            timeout=90,
            interval=0.2,
            what="serve stateful-actors ready",
        )
        assert self.proc.poll() is None, self.log.read_text()

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def make_traffic(serve: Serve, env: dict[str, str]) -> None:
    """setUp of every key, sent at once; back when each object has its state (the document's service
    crashes now and then under `serve`: some of them are retried)."""
    with loopback_client(timeout=30) as http:
        for key in KEYS:
            url = f"http://127.0.0.1:{serve.ingress}/machineOperator/{key}/setUp/send"
            http.post(url, content=b"").raise_for_status()
    for key in KEYS:
        eventually(
            lambda key=key: (
                subprocess.run(
                    [*ours(), "state", "get", "machineOperator", key, "--json"],
                    env=env,
                    capture_output=True,
                    timeout=60,
                ).returncode
                == 0
            ),
            timeout=120,
            interval=0.5,
            what=f"machineOperator/{key} set up",
        )


def a_set_up(env: dict[str, str]) -> str:
    """The id of a's setUp: the invocation `describe` shows."""
    listing = subprocess.run([*ours(), "invocations", "list", "--json"], env=env, capture_output=True, timeout=60)
    return next(i["id"] for i in json.loads(listing.stdout) if i["target"] == "machineOperator/a/setUp")


def timed(cmd: list[str], env: dict[str, str], cwd: str) -> tuple[float, float]:
    """(wall, CPU) seconds of one whole process. CPU time (user + system of the finished child)
    moves less than wall time when others load the machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd, timeout=60)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def spread(times: list[float]) -> str:
    return f"{statistics.median(times) * 1000:.0f} ({min(times) * 1000:.0f}–{max(times) * 1000:.0f})"


def column(runs: list[tuple[float, float]]) -> str:
    return f"{spread([w for w, _ in runs])} | {spread([c for _, c in runs])}"


def ratios(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> str:
    wall, cpu = (statistics.median(x[i] for x in a) / statistics.median(x[i] for x in b) for i in (0, 1))
    return f"{wall:.1f}× | {cpu:.1f}×"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument(
        "--checkout", type=Path, help="time `python -m restate_play` from this source tree (e.g. an older commit)"
    )
    parser.add_argument(
        "--venv",
        type=Path,
        help="time the console script of a fresh virtual environment with this checkout installed into it "
        "(`python -m venv DIR && DIR/bin/pip install .`, made when DIR is missing): as a user's install, "
        "without this interpreter's site-packages and its .pth files",
    )
    options = parser.parse_args()
    runs, mine_env, python = options.runs, {}, sys.executable
    measured = ours()
    if options.checkout:  # ahead of the editable install on sys.path
        measured, mine_env = [sys.executable, "-m", "restate_play"], {"PYTHONPATH": str(options.checkout.resolve())}
    if options.venv:
        python = str(fresh_venv(options.venv, options.checkout or Path(__file__).resolve().parents[1]))
        measured, mine_env = [str(Path(python).with_name("restate-play"))], {}
    restate = str(restate_cli())
    with tempfile.TemporaryDirectory(prefix="bench-lookups-") as state_home:
        serve = Serve(state_home)
        try:
            url = f"http://127.0.0.1:{serve.admin}"
            env = {**os.environ, "RESTATE_ADMIN_URL": url, "XDG_STATE_HOME": state_home}
            # Bytecode cached as in any install (a wheel's is compiled when installed); some shells here
            # set PYTHONDONTWRITEBYTECODE, and an editable checkout then compiles itself on every start.
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            make_traffic(serve, env)
            described = a_set_up(env)
            pairs = {
                "state get": (
                    [*measured, "state", "get", "machineOperator", "a"],
                    [restate, "kv", "get", "machineOperator", "a"],
                ),
                "invocations list": (
                    [*measured, "invocations", "list"],
                    [restate, "invocations", "list", "--all"],
                ),
                "describe": (
                    [*measured, "invocations", "describe", described],
                    [restate, "invocations", "describe", described],
                ),
                "state get --json": ([*measured, "state", "get", "machineOperator", "a", "--json"], None),
                "python -c pass": ([python, "-c", "pass"], None),
            }
            source = f" from {options.checkout}" if options.checkout else ""
            print(f"{runs} runs each, alternating; {' '.join(measured)}{source}; Restate CLI {CLI_VERSION}")
            print("median (min–max) in ms, wall time | CPU time (user + system)")
            print(f"{'':18}{'restate-play':>32}{'restate CLI':>32}   ratio (wall | CPU)")
            for name, (mine, theirs) in pairs.items():
                # Ours finds the serve as a person's shell does, from its record in the state dir (no
                # RESTATE_ADMIN_URL); the Restate CLI is given the URL.
                ours_env = {k: v for k, v in {**env, **mine_env}.items() if k != "RESTATE_ADMIN_URL"}
                # In the state dir: `python -m` puts the working directory first on sys.path.
                timed(mine, ours_env, state_home)  # warm-up, not counted: the first run writes the bytecode
                a: list[tuple[float, float]] = []
                b: list[tuple[float, float]] = []
                for _ in range(runs):
                    a.append(timed(mine, ours_env, state_home))
                    if theirs:
                        b.append(timed(theirs, env, state_home))
                print(f"{name:18}{column(a):>32}{column(b) if b else '':>32}   {ratios(a, b) if b else ''}")
        finally:
            serve.stop()


if __name__ == "__main__":
    main()
