"""`run . --watch`: from saving a file to the new verdict on screen, for a `new sagas` project.

    python bench/watch.py [--saves 10] [--scenario full|doc-trip]

Makes a project with `restate-play new sagas` in a temporary directory, starts
`restate-play run . --watch --plain` once (it stays up: the command is never restarted), waits
for its first verdict, then saves app.py `--saves` times (a comment line added, as an editor
would write it) and times each save → the next `PASSED:`/`FAILED:` line on its output. Also the
save → "Changed:" line (watchfiles' detection and debounce) and save → "Sandbox ready" (a fresh
server ∥ the service restarted on the new code, registered). `--scenario doc-trip` keeps only the
document's trip (3 steps), so the scenario's own duration (the full one holds a crash, a 0.5 s
restart and a retried step) does not hide the loop's cost. Prints medians and min–max.
"""

from __future__ import annotations

import argparse
import os
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def make_project(where: Path, scenario: str) -> Path:
    subprocess.run([sys.executable, "-P", "-m", "restate_play", "new", "sagas", "trip"], cwd=where, check=True)
    project = where / "trip"
    if scenario == "doc-trip":  # the document's trip: call, journal, ledger order
        text = (project / "scenario.toml").read_text()
        steps = text.split("\n[[step]]")
        (project / "scenario.toml").write_text("\n[[step]]".join(steps[:4]) + "\n")
    return project


class Output:
    def __init__(self, proc: subprocess.Popen):
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            self.lines.put((time.monotonic(), line))

    def until(self, starts: tuple[str, ...], timeout: float = 120) -> tuple[float, str]:
        deadline = time.monotonic() + timeout
        while True:
            at, line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line.lstrip().startswith(starts):
                return at, line


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=10)
    parser.add_argument("--scenario", choices=("full", "doc-trip"), default="full")
    args = parser.parse_args()
    verdict = ("PASSED:", "FAILED:", "error:")
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as tmp:
        project = make_project(Path(tmp), args.scenario)
        cmd = [sys.executable, "-P", "-m", "restate_play", "run", ".", "--watch", "--plain"]
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "160"}
        proc = subprocess.Popen(
            cmd,
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        out = Output(proc)
        rows: list[tuple[float, float, float]] = []
        try:
            print("first verdict:", out.until(verdict)[1].strip()[:100])
            out.until(("Watching",))
            app = project / "app.py"
            for i in range(args.saves):
                time.sleep(0.5)  # an editor's save, a little after the last verdict
                saved = time.monotonic()
                app.write_text(app.read_text() + f"# save {i}\n")
                changed, _ = out.until(("Changed:",))
                ready, _ = out.until(("Sandbox ready",))
                shown, line = out.until(verdict)
                rows.append((changed - saved, ready - saved, shown - saved))
                print(f"save {i + 1}: verdict after {shown - saved:.2f} s  ({line.strip()[:60]})", flush=True)
                out.until(("Watching",))
        finally:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(30)
    names = ("save → Changed", "save → Sandbox ready", "save → verdict")
    for name, values in zip(names, zip(*rows, strict=True), strict=True):
        spread = f"{min(values):.2f}–{max(values):.2f}"
        print(f"{name:<22} median {statistics.median(values):.2f} s  ({spread}), n={len(values)}")
    print(f"scenario: {args.scenario}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
