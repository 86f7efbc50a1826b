"""Every exercise's check: how long its verdict takes, and its start and solution under seeded crashes.

    python bench/exercises.py [--seeds 5] [--only charge-once,...] [--shared] [--empty]

For each exercise (in `exercise --list` order): the untouched starting file must fail as written
and under every seed, the reference solution must pass under every seed (1…N: each seed moves each
crash of the checks within the exercise's `[seeding]`: the entry it lands after, the delay after
it, its downtime; an exercise whose checks crash nothing is checked once each). Prints the verdict
time (sandbox start + checks, as the learner waits for it after the save has been noticed;
teardown excluded) of the start as written and of each seeded solution run. `--shared` runs
them on one shared restate-server (`restate-play server start`, in a temporary state dir), as a
learner's checks run once one is up. `--empty` also checks the starting file with every handler's
body replaced by `return None` (it must fail too). Exit 1 if a start or an empty file passed, or a
seeded solution failed.
"""

from __future__ import annotations

import argparse
import ast
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def emptied(source: str) -> str:
    """The file with every Restate handler doing nothing (`return None`)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef) and any("handler" in ast.unparse(d) for d in node.decorator_list):
            node.body = [ast.Return(ast.Constant(None))]
    return ast.unparse(tree)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--only", default="")
    parser.add_argument("--shared", action="store_true")
    parser.add_argument("--empty", action="store_true")
    args = parser.parse_args()
    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="bench-exercises-")

    from restate_play.exercises.catalog import load_exercises
    from restate_play.exercises.checking import check_file, seeds_matter
    from restate_play.sandbox.shared_server import start_shared, stop_shared

    wanted = {w for w in args.only.split(",") if w}
    exercises = [e for e in load_exercises() if not wanted or e.id in wanted]
    if args.shared:
        start_shared()
    bad = 0
    t0 = time.monotonic()
    try:
        print(f"{'exercise':22} {'start':>7}  solution over {args.seeds} seeds (median / max)  verdicts")
        for exercise in exercises:
            start = check_file(exercise, exercise.start)
            if args.empty:
                empty = Path(tempfile.mkdtemp()) / exercise.file_name
                empty.write_text(emptied(exercise.start.read_text()))
                passed = check_file(exercise, empty).passed
                bad += passed
                print(f"{exercise.id:22} empty handlers: {'PASSED (bad)' if passed else 'fail'}", flush=True)
            moved = seeds_matter(exercise)
            seeds = list(range(1, args.seeds + 1)) if moved else [None]
            starts = [check_file(exercise, exercise.start, seed=s).passed for s in seeds if s is not None]
            runs = [check_file(exercise, exercise.solution, seed=s) for s in seeds]
            times = [r.seconds for r in runs] or [0.0]
            passed_starts = [s for s, p in zip(seeds, starts, strict=False) if p]
            failed = [s for s, r in zip(seeds, runs, strict=True) if not r.passed]
            bad += start.passed + len(passed_starts) + len(failed)
            verdicts = (
                (
                    "START PASSED "
                    if start.passed
                    else f"start fails{f' (also seeded {len(starts)}×)' if moved else ''}, "
                )
                + (f"start PASSED for seeds {passed_starts}, " if passed_starts else "")
                + (f"solution FAILED for seeds {failed}" if failed else f"solution passes all {len(runs)}")
            )
            verdicts += f" (seeds {seeds[0]}…{seeds[-1]})" if moved else " (no crash to move: once)"
            print(
                f"{exercise.id:22} {start.seconds:6.2f}s  {statistics.median(times):6.2f}s / {max(times):5.2f}s"
                f"{'':22}{verdicts}",
                flush=True,
            )
    finally:
        if args.shared:
            stop_shared()
    print(f"total {time.monotonic() - t0:.0f} s; load average {os.getloadavg()[0]:.1f} (2 cores)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
