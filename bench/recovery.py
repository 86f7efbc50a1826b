"""Recovery: how long after a service restart a stuck invocation resumes (and completes).

    python bench/recovery.py [--trials 20] [--downtime 6]

The service is killed, a request is sent while it is down (Restate accepts it and retries), and
after `--downtime` seconds the service is restarted. Measured per trial: restart begun →
invocation completed, and service healthy → invocation completed. Three set-ups, in one run:

  playground   restate.toml's retry policy (100 ms initial, 1 s max) + explicit resume on restart
  policy-only  the same retry policy, no explicit resume (the next retry timer decides)
  default      Restate's default retry policy (500 ms initial, ×2, 60 s max), no explicit resume
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx

from restate_play.patterns.catalog import get_pattern
from restate_play.sandbox.sandbox import Sandbox, SandboxOptions

DEFAULT_POLICY = {
    "RESTATE_DEFAULT_RETRY_POLICY__INITIAL_INTERVAL": "500ms",
    "RESTATE_DEFAULT_RETRY_POLICY__MAX_INTERVAL": "60s",
}


def status(http: httpx.Client, admin: str, inv: str) -> str:
    rows = (
        http.post(
            f"{admin}/query",
            json={"query": f"SELECT status FROM sys_invocation WHERE id = '{inv}'"},
            headers={"accept": "application/json"},
        )
        .json()
        .get("rows", [])
    )
    return rows[0]["status"] if rows else "?"


def trial(sb: Sandbox, http: httpx.Client, n: int, downtime: float, resume: bool) -> tuple[float, float]:
    sb.kill_service()
    inv = http.post(f"{sb.ingress_url}/product/bench-{n}/reserve/send").json()["invocationId"]
    time.sleep(downtime)
    t0 = time.monotonic()
    assert sb.service
    if resume:
        sb.restart_service()  # the playground's path: restart, then resume stuck invocations
        healthy = time.monotonic()
    else:
        sb.service.restart()  # the bare restart: the retry timer decides when the invocation resumes
        healthy = time.monotonic()
        sb._service_down_on_purpose = False  # noqa: SLF001 - keep the sandbox's bookkeeping straight
    while status(http, sb.admin_url, inv) != "completed":
        time.sleep(0.01)
    done = time.monotonic()
    return done - t0, done - healthy


def measure(label: str, trials: int, downtime: float, resume: bool, server_env: dict[str, str]) -> None:
    from_restart, from_healthy = [], []
    with Sandbox(get_pattern("durable-rpc"), SandboxOptions(server_env=server_env)) as sb, httpx.Client() as http:
        for n in range(trials):
            a, b = trial(sb, http, n, downtime, resume)
            from_restart.append(a)
            from_healthy.append(b)
    print(
        f"{label:<12} restart→completed median {statistics.median(from_restart) * 1000:6.0f} ms "
        f"(min {min(from_restart) * 1000:5.0f}, max {max(from_restart) * 1000:5.0f}); "
        f"healthy→completed median {statistics.median(from_healthy) * 1000:6.0f} ms  (n={trials})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--downtime", type=float, default=6.0)
    args = parser.parse_args()
    print(f"downtime {args.downtime:.1f} s per trial", flush=True)
    measure("playground", args.trials, args.downtime, True, {})
    measure("policy-only", max(5, args.trials // 2), args.downtime, False, {})
    measure("default", max(5, args.trials // 2), args.downtime, False, DEFAULT_POLICY)


if __name__ == "__main__":
    main()
