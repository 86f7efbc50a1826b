"""What `--record` costs, and how fast its report opens.

    python bench/record.py [--runs 5] [--requests 300]

1. `restate-play run sagas` against `run sagas --record DIR` in a terminal (a pty: the live view),
   then the same with --plain; each pair interleaved run by run
   (drift on a shared machine hits both alike): median wall time of each and the ratio (target:
   within 10 %), and the CPU time of each (with the server and the service). --plain is the costly
   case: the live view is then drawn off screen for the cast (in a terminal the live view is drawn
   anyway and the recording only tees its bytes).
2. A storm of N requests (`run durable-rpc --requests N --record DIR`), then its report.html opened
   in headless Chromium (Debian's, driven by playwright): from navigation to the load event and two
   animation frames (the first paint), median of 3; and opening every folded group (target: < 2 s).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from live_view_svg import CHROMIUM_ARGS  # noqa: E402

PAINTED = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


CPU: list[tuple[str, float]] = []  # (which, CPU seconds of the command and its children: server, service)


def wall(args: list[str], tty: bool = False) -> float:
    command = [sys.executable, "-m", "restate_play", *args]
    if tty:  # in a terminal (a pty of 100×44), as a person runs it: the live view
        command = ["script", "-qec", shlex.join(command), "/dev/null"]
    env = {**os.environ, "COLUMNS": "100", "LINES": "44"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(command, cwd=REPO, capture_output=True, timeout=300, env=env, stdin=subprocess.DEVNULL)
    took = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(
        (
            "record" if "--record" in args else "plain",
            after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
        )
    )
    if proc.returncode != 0:
        raise SystemExit(f"{args} exited {proc.returncode}: {proc.stderr.decode()[-1500:]}")
    return took


def overhead(runs: int, tmp: Path, tty: bool = False) -> dict:
    plain, recorded = [], []
    CPU.clear()
    mode = [] if tty else ["--plain"]
    for i in range(runs):
        pair = [
            ("plain", ["run", "sagas", *mode]),
            ("record", ["run", "sagas", *mode, "--record", str(tmp / f"r{i}")]),
        ]
        for name, args in pair if i % 2 == 0 else pair[::-1]:  # the order alternates
            (plain if name == "plain" else recorded).append(wall(args, tty))
    a, b = statistics.median(plain), statistics.median(recorded)
    cpu = {name: round(statistics.median(c for n, c in CPU if n == name), 2) for name in ("plain", "record")}
    return {
        "plain_s": [round(x, 2) for x in plain],
        "record_s": [round(x, 2) for x in recorded],
        "median_cpu_s": cpu,
        "median_plain_s": round(a, 2),
        "median_record_s": round(b, 2),
        "ratio": round(b / a, 3),
    }


def render(report: Path, times: int = 3) -> dict:
    from playwright.sync_api import sync_playwright

    loads, opens = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            for _ in range(times):
                page = browser.new_page(viewport={"width": 1600, "height": 1000})
                t0 = time.perf_counter()
                page.goto(report.as_uri(), wait_until="load")
                page.evaluate(PAINTED)
                loads.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true })")
                page.evaluate(PAINTED)
                opens.append(time.perf_counter() - t0)
                lanes = page.locator(".lane").count()
                page.close()
        finally:
            browser.close()
    return {
        "lanes": lanes,
        "bytes": report.stat().st_size,
        "load_and_paint_s": round(statistics.median(loads), 3),
        "open_all_groups_s": round(statistics.median(opens), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = {"terminal": overhead(args.runs, Path(tmp), tty=True), "plain": overhead(args.runs, Path(tmp))}
        storm = Path(tmp) / "storm"
        wall(["run", "durable-rpc", "--requests", str(args.requests), "--plain", "--record", str(storm)])
        result["storm_report"] = {"requests": args.requests, **render(storm / "report.html")}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
