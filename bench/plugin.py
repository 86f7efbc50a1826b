"""The pytest plugin: a user's file of 20 tests, the whole pytest process, and each test after the first.

    python bench/plugin.py [--tests 20] [--runs 3] [--python /path/to/venv/bin/python]

- wall: the `python -m pytest` process from spawn to exit (interpreter, plugin, the session's
  restate-server and the module's service process, the tests, teardown).
- first: the first test's setup + call + teardown (pytest's junit times), which starts the server
  and the service; after: the other tests' times (median, max), the cost a test adds.
- The tests are what a user writes: calls and sends, state and journal reads, a ledger count.
- The SDK's own harness (`restate.test_harness`, testcontainers) needs Docker; where `docker` is on
  PATH the same tests could be timed with it; where it is not, this says so and times only the plugin.

`--python` picks the interpreter (e.g. a venv with only restate-play and pytest installed, as a user
has); its environment's other pytest plugins load too, so a lean venv measures the plugin alone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

APP = """
import restate
from restate_play.world import ledger

counter = restate.VirtualObject("counter")


@counter.handler()
async def add(ctx: restate.ObjectContext, amount: int) -> int:
    total = (await ctx.get("count", type_hint=int) or 0) + amount
    ctx.set("count", total)
    return total


orders = restate.Service("orders")


@orders.handler()
async def place(ctx: restate.Context, item: str) -> str:
    await ctx.run_typed("Reserve", lambda: ledger.record("stock.reserve", item=item))
    await ctx.run_typed("Charge", lambda: ledger.record("card.charge", item=item))
    return f"placed {item}"


app = restate.app([counter, orders])
"""

HEAD = """import pytest

pytestmark = pytest.mark.restate_app("app:app")
"""

TESTS = [
    """def test_counter_{n}(restate):
    assert restate.call("counter/k{n}/add", json=2) == 2
    assert restate.call("counter/k{n}/add", json=3) == 5
    assert restate.state("counter", "k{n}") == {{"count": 5}}
""",
    """def test_order_{n}(restate):
    order = restate.send("orders/place", json="item-{n}")
    assert order.result() == "placed item-{n}"
    assert restate.journal(order).names() == ["Reserve", "Charge"]
    assert restate.ledger.count("card.charge", item="item-{n}") == 1
""",
]


def write_project(folder: Path, tests: int) -> None:
    (folder / "app.py").write_text(APP)
    body = "\n\n".join(TESTS[n % len(TESTS)].format(n=n) for n in range(tests))
    (folder / "test_bench.py").write_text(HEAD + "\n\n" + body)


def run_once(python: str, folder: Path) -> tuple[float, list[float], str]:
    junit = folder / "junit.xml"
    args = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", "test_bench.py"]
    started = time.monotonic()
    done = subprocess.run(args, cwd=folder, capture_output=True, text=True, timeout=600, check=False)
    wall = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"the user's tests failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    times = [float(case.get("time", "0")) for case in ET.parse(junit).getroot().iter("testcase")]
    return wall, times, done.stdout.strip().splitlines()[-1]


def docker_engine() -> str:
    """Whether the SDK harness could run here: it needs a Docker engine, not only the CLI."""
    docker = shutil.which("docker")
    if docker is None:
        return "not found: the SDK harness (testcontainers) cannot run here, so it is not compared"
    probe = [docker, "version", "--format", "{{.Server.Version}}"]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=10, check=False)
    except subprocess.TimeoutExpired:
        done = None
    if done is None or done.returncode != 0:
        return f"{docker} (CLI only, no engine answers): the SDK harness cannot run here, so it is not compared"
    return f"engine {done.stdout.strip()}: the SDK harness could run here (not timed by this script yet)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--python", default=sys.executable, help="the interpreter whose pytest runs the tests")
    args = parser.parse_args()
    print(f"python: {args.python}")
    print(f"docker: {docker_engine()}")
    print(f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}, load {os.getloadavg()[0]:.1f}")
    print(f"{'run':>3}  {'wall':>7}  {'first':>6}  {'after: median':>13}  {'max':>6}  pytest says")
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="bench-plugin-") as tmp:
            folder = Path(tmp)
            write_project(folder, args.tests)
            wall, times, summary = run_once(args.python, folder)
        after = times[1:]
        print(
            f"{run:>3}  {wall:>6.2f}s  {times[0]:>5.2f}s  {statistics.median(after):>12.3f}s  "
            f"{max(after):>5.3f}s  {summary}"
        )


if __name__ == "__main__":
    main()
