"""Throughput of `restate-play run <pattern> --requests N`, next to a dedicated load tool (wrk).

    python bench/storm.py [--pattern durable-rpc] [--requests 3000] [--concurrency 32] [--runs 3]

On one sandbox, interleaved run by run (the order rotating) so drift on a shared machine hits all alike:
  wrk      wrk (C, epoll, one thread) against the same handler, a Lua script sending the storm's
           request (POST, headers, a per-request {i} in the target and idempotency key)
  live     the storm as `run --requests` plays it in a terminal: the driver, the live view's
           observer refreshing every 0.2 s and the dashboard rendered (to /dev/null)
  json     the storm as `run --requests --json` plays it: the driver without the observer
Each run gets fresh keys (a run prefix in `{i}`), so every request is a new invocation.
Reports median and spread of req/s and latency, the ratio live/wrk (target ≥ 0.9), and where
the CPU went (client, restate-server, service process) per 1000 requests.

wrk is a Debian package: `apt-get install -y wrk`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

# This checkout, even when an installed restate-play points elsewhere.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from restate_play.commands.run import play, sandbox_options, scenario_path  # noqa: E402
from restate_play.patterns.catalog import get_pattern  # noqa: E402
from restate_play.restate.introspection import Introspection  # noqa: E402
from restate_play.sandbox.binary import ensure_binary  # noqa: E402
from restate_play.sandbox.sandbox import Sandbox  # noqa: E402
from restate_play.scenario.model import Request, Scenario, load  # noqa: E402
from restate_play.scenario.storm import storm_template  # noqa: E402

WRK_LUA = r"""
-- The storm's request, numbered: {i} in path and headers becomes 1, 2, 3… (one counter per thread).
local template_path, template_body
local template_headers = {}
local n = 0
function init(args)
  template_path = args[1]
  template_body = args[2] ~= "" and args[2] or nil
  for i = 3, #args, 2 do template_headers[args[i]] = args[i + 1] end
end
function request()
  n = n + 1
  local i = tostring(n)
  local headers = {}
  for k, v in pairs(template_headers) do headers[k] = v:gsub("{i}", i) end
  local body = template_body and template_body:gsub("{i}", i) or nil
  return wrk.format("POST", (template_path:gsub("{i}", i)), headers, body)
end
function done(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, '
      .. '"p50": %d, "p95": %d, "p99": %d}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def need_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        sys.exit("bench/storm.py needs wrk, the HTTP load tool: install it with `apt-get install -y wrk` (Debian).")
    return path


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process so far (from /proc)."""
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    self_ = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once reaped
    return self_.ru_utime + self_.ru_stime + kids.ru_utime + kids.ru_stime


def with_prefix(scenario: Scenario, prefix: str) -> Scenario:
    """The scenario with `{i}` → `<prefix>{i}`, so each run's requests are new invocations."""
    req = storm_template(scenario)
    first = req.with_target(
        req.target.replace("{i}", prefix + "{i}"),
        idempotency_key=req.idempotency_key.replace("{i}", prefix + "{i}") if req.idempotency_key else None,
        body_json=req.raw_body.replace("{i}", prefix + "{i}") if req.raw_body is not None else None,
    )
    return dataclasses.replace(scenario, steps=[first, *scenario.steps[1:]])


class Meter:
    """CPU seconds spent by the client (this process and wrk), the server and the service during a run."""

    def __init__(self, sb: Sandbox):
        self.sb = sb

    def sample(self) -> tuple[float, float, float]:
        server = cpu_seconds(self.sb.server.pid if self.sb.server else None)
        service = cpu_seconds(self.sb.service.pid if self.sb.service else None)
        return own_cpu(), server, service

    def __enter__(self):
        self.t0, self.before = time.perf_counter(), self.sample()
        return self

    def __exit__(self, *exc):
        after = self.sample()
        self.wall = time.perf_counter() - self.t0
        self.cpu = dict(
            zip(("client", "server", "service"), (a - b for a, b in zip(after, self.before, strict=True)), strict=True)
        )


def run_wrk(wrk: str, lua: Path, url_base: str, req: Request, seconds: int, concurrency: int) -> dict:
    """The storm's request for wrk: "{i}" stays in path, headers and body; the Lua script numbers it.

    wrk runs for a duration (a Lua `wrk.thread:stop()` ends the sending, not wrk's clock), so the
    bench gives it the time the storm's N requests take at the warm-up rate.
    """
    headers = dict(req.headers)
    if req.idempotency_key:
        headers["idempotency-key"] = req.idempotency_key
    body = req.raw_body if req.raw_body is not None else (json.dumps(req.body) if req.has_body else "")
    if body:
        headers.setdefault("content-type", "application/json")
    path = "/" + req.target.lstrip("/") + ("/send" if req.kind == "send" else "")
    if req.kind == "send" and req.delay:
        path += f"?delay={req.delay}"
    args = [path, body]
    for k, v in headers.items():
        args += [k, v]
    proc = subprocess.run(
        [wrk, "-t1", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "60s", "-s", str(lua), url_base, "--", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("{")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stdout}\n{proc.stderr}")
    data = json.loads(line)
    seconds = data["duration_us"] / 1e6
    return {
        "rps": data["requests"] / seconds,
        "requests": data["requests"],
        "errors": data["status_errors"] + data["socket_errors"],
        "p50": data["p50"] / 1000,
        "p95": data["p95"] / 1000,
        "p99": data["p99"] / 1000,
    }


def run_storm(sb: Sandbox, scenario: Scenario, pattern, mode: str, requests: int, concurrency: int) -> dict:
    if mode == "live":  # a terminal-sized console that draws to /dev/null: the real rendering cost
        out = Console(file=open(os.devnull, "w"), force_terminal=True, width=160, height=48)  # noqa: SIM115
    else:
        out = Console(file=open(os.devnull, "w"))  # noqa: SIM115
    result = asyncio.run(play(sb, scenario, pattern, mode, out, storm=(requests, concurrency)))
    storm = result.storm or {}
    if not result.passed:
        raise RuntimeError(f"the storm failed: {[c.detail for c in result.checks if not c.passed]} {result.error}")
    lat = storm["latency_ms"]
    return {
        "rps": storm["requests_per_second"],
        "requests": storm["requests"],
        "errors": sum(storm["errors"].values()),
        "p50": lat["p50"],
        "p95": lat["p95"],
        "p99": lat["p99"],
    }


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):7.0f}  ({min(values):.0f}–{max(values):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pattern", default="durable-rpc")
    parser.add_argument("--scenario", default=None, help="default: <pattern>.storm if it exists, else the default")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-json", action="store_true", help="skip the storm without observer")
    args = parser.parse_args()
    wrk = need_wrk()
    ensure_binary(print)
    pattern = get_pattern(args.pattern)
    name = args.scenario
    if name is None:
        storm_file = scenario_path(pattern, None).with_name(f"{pattern.slug}.storm.toml")
        name = f"{pattern.slug}.storm" if storm_file.exists() else None
    scenario = load(scenario_path(pattern, name))
    template = storm_template(scenario)
    if template.via != "ingress":
        sys.exit("bench/storm.py compares against wrk on the ingress: pick a scenario whose first step calls it.")
    kinds = ["wrk", "live"] + ([] if args.no_json else ["json"])
    results: dict[str, list[dict]] = {k: [] for k in kinds}
    queries: dict[str, list[int]] = {k: [] for k in kinds}
    original_query = Introspection.query

    async def counting_query(self, sql):  # how many SQL queries each kind of run costs (the observer's)
        counting_query.n += 1
        return await original_query(self, sql)

    counting_query.n = 0
    Introspection.query = counting_query
    with tempfile.TemporaryDirectory() as tmp, Sandbox(pattern, sandbox_options(pattern, scenario, None, None)) as sb:
        lua = Path(tmp) / "storm.lua"
        lua.write_text(WRK_LUA)
        print(f"sandbox ready in {sb.timings.ready:.2f} s; ingress {sb.ingress_url}; warming up…", flush=True)
        run_storm(sb, with_prefix(scenario, "warm"), pattern, "json", min(500, args.requests), args.concurrency)
        warm = run_wrk(wrk, lua, sb.ingress_url, storm_template(with_prefix(scenario, "warmwrk")), 3, args.concurrency)
        seconds = max(5, round(args.requests / max(warm["rps"], 1)))
        print(f"wrk warm-up: {warm['rps']:.0f} req/s; wrk runs last {seconds} s (≈ {args.requests} requests)")
        for run in range(args.runs):
            # The order rotates from run to run: a run pays for the compaction its predecessor caused.
            for kind in kinds[run % len(kinds) :] + kinds[: run % len(kinds)]:
                prefix = f"{kind}{run}-"
                counting_query.n = 0
                with Meter(sb) as meter:
                    if kind == "wrk":
                        req = storm_template(with_prefix(scenario, prefix))
                        one = run_wrk(wrk, lua, sb.ingress_url, req, seconds, args.concurrency)
                    else:
                        one = run_storm(
                            sb, with_prefix(scenario, prefix), pattern, kind, args.requests, args.concurrency
                        )
                one["cpu_per_1000"] = {k: v * 1000 / max(one["requests"], 1) for k, v in meter.cpu.items()}
                results[kind].append(one)
                queries[kind].append(counting_query.n)
                cpu = " ".join(f"{k} {v:.2f}" for k, v in one["cpu_per_1000"].items())
                print(
                    f"run {run + 1} {kind:<5} {one['rps']:7.0f} req/s  p50 {one['p50']:6.1f} ms  "
                    f"p99 {one['p99']:7.1f} ms  errors {one['errors']}  CPU s/1000 req: {cpu}  "
                    f"SQL queries {counting_query.n}",
                    flush=True,
                )
    Introspection.query = original_query
    cpu_model = next(
        (x.split(":", 1)[1].strip() for x in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in x), "?"
    )
    print()
    print(
        f"machine: {os.cpu_count()} cores ({cpu_model}), Python {platform.python_version()}, "
        f"pattern {args.pattern}, scenario {scenario.name}: {template.kind} {template.target}, "
        f"{args.requests} requests, concurrency {args.concurrency}, runs {args.runs}"
    )
    print(f"{'':6}{'req/s median (min–max)':>26}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}   CPU s per 1000 req")
    for kind in kinds:
        rows = results[kind]
        med = {k: statistics.median(r[k] for r in rows) for k in ("p50", "p95", "p99")}
        cpu = {k: statistics.median(r["cpu_per_1000"][k] for r in rows) for k in ("client", "server", "service")}
        print(
            f"{kind:<6}{spread([r['rps'] for r in rows]):>26}{med['p50']:9.1f}{med['p95']:9.1f}{med['p99']:9.1f}   "
            f"client {cpu['client']:.2f} · server {cpu['server']:.2f} · service {cpu['service']:.2f}"
            f"   (SQL queries {statistics.median(queries[kind]):.0f})"
        )
    wrk_rps = statistics.median(r["rps"] for r in results["wrk"])
    for kind in kinds[1:]:
        ratio = statistics.median(r["rps"] for r in results[kind]) / wrk_rps
        # Also run by run: a run's storms are seconds apart, so the machine's drift cancels out.
        paired = [one["rps"] / wrk["rps"] for one, wrk in zip(results[kind], results["wrk"], strict=True)]
        print(
            f"{kind} / wrk = {ratio:.2f} (ratio of the medians); run by run {statistics.median(paired):.2f} "
            f"median ({min(paired):.2f}–{max(paired):.2f})   (target ≥ 0.9)"
        )


if __name__ == "__main__":
    main()
