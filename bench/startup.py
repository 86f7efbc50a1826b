"""Cold start and footprint of a sandbox, next to a bare restate-server, measured in the same run.

    python bench/startup.py [--runs 7] [--pattern sagas]

Reports median and spread (min–max) of:
  bare      restate-server alone, spawn → admin /health 200 (same config, binary cached)
  sandbox   Sandbox.start(): server ∥ service process, both healthy, deployment registered
  cli       `restate-play serve` as a user launches it: process start → "ready" banner
  warm      Sandbox.start() on a shared server (`restate-play server start`): service healthy,
            the pattern's old invocations and state cleared, deployment registered
  help      `restate-play --help`, process start → exit
  python    `python -c pass`, the interpreter's own start, next to it
and the peak memory (sum of RSS) of server + service while the pattern's scenario runs.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from restate_play.commands.run import play, sandbox_options, scenario_path
from restate_play.paths import server_config
from restate_play.patterns.catalog import get_pattern
from restate_play.sandbox.binary import ensure_binary
from restate_play.sandbox.ports import free_ports
from restate_play.sandbox.sandbox import Sandbox, SandboxOptions
from restate_play.sandbox.shared_server import start_shared, stop_shared
from restate_play.scenario.model import load


def bare_server(binary: Path) -> float:
    ingress, admin, fabric = free_ports(3)
    with tempfile.TemporaryDirectory() as base:
        env = {
            **os.environ,
            "RESTATE_ADMIN__BIND_ADDRESS": f"127.0.0.1:{admin}",
            "RESTATE_INGRESS__BIND_ADDRESS": f"127.0.0.1:{ingress}",
        }
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [
                str(binary),
                "--config-file",
                str(server_config()),
                "--base-dir",
                base,
                "--bind-ip",
                "127.0.0.1",
                "--bind-port",
                str(fabric),
                "--listen-mode",
                "tcp",
                "--no-logo",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            with httpx.Client(timeout=1) as http:
                while True:
                    try:
                        if http.get(f"http://127.0.0.1:{admin}/health").status_code == 200:
                            return time.perf_counter() - t0
                    except httpx.TransportError:
                        pass
                    time.sleep(0.005)
        finally:
            proc.terminate()
            proc.wait(10)


def sandbox_start(slug: str) -> float:
    t0 = time.perf_counter()
    with Sandbox(get_pattern(slug), SandboxOptions()):
        return time.perf_counter() - t0


def cli_serve(slug: str) -> float:
    ingress, admin, service, fabric = free_ports(4)
    extra = []
    for port in free_ports(len(get_pattern(slug).client_ports)):
        extra += ["--client-port", str(port)]
    with tempfile.TemporaryDirectory() as state:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "restate_play",
                "serve",
                slug,
                "--ingress-port",
                str(ingress),
                "--admin-port",
                str(admin),
                "--service-port",
                str(service),
                "--fabric-port",
                str(fabric),
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
            env={**os.environ, "XDG_STATE_HOME": state, "COLUMNS": "200"},
        )
        try:
            assert proc.stdout
            for line in proc.stdout:
                if "ready in" in line:
                    return time.perf_counter() - t0
            raise RuntimeError("serve exited before it was ready")
        finally:
            proc.send_signal(2)
            proc.wait(20)


def warm_sandbox(slug: str, shared) -> float:
    t0 = time.perf_counter()
    with Sandbox(get_pattern(slug), SandboxOptions(shared=shared)):
        return time.perf_counter() - t0


def timed_python(*args: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, *args], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def rss_kib(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"VmRSS:\s+(\d+)", text)
    return int(match.group(1)) if match else 0


def peak_memory(slug: str) -> tuple[int, int, int]:
    import asyncio

    from rich.console import Console

    pattern = get_pattern(slug)
    scenario = load(scenario_path(pattern, None))
    peaks = {"server": 0, "service": 0, "total": 0}
    with Sandbox(pattern, sandbox_options(pattern, scenario, None, None)) as sb:
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                server = rss_kib(sb.server.pid) if sb.server and sb.server.pid else 0
                service = rss_kib(sb.service.pid) if sb.service and sb.service.pid else 0
                peaks["server"] = max(peaks["server"], server)
                peaks["service"] = max(peaks["service"], service)
                peaks["total"] = max(peaks["total"], server + service)
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            asyncio.run(play(sb, scenario, pattern, "json", Console(file=open(os.devnull, "w"))))  # noqa: SIM115
        finally:
            done.set()
            sampler.join()
    return peaks["server"], peaks["service"], peaks["total"]


def summary(name: str, values: list[float]) -> str:
    return (
        f"{name:<8} median {statistics.median(values) * 1000:7.0f} ms   "
        f"min {min(values) * 1000:6.0f}   max {max(values) * 1000:6.0f}   (n={len(values)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pattern", default="sagas")
    args = parser.parse_args()
    binary = ensure_binary(print)
    bare, sandbox, cli = [], [], []
    for _ in range(args.runs):  # interleaved, so drift on a shared machine hits all three alike
        bare.append(bare_server(binary))
        sandbox.append(sandbox_start(args.pattern))
        cli.append(cli_serve(args.pattern))
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, pattern {args.pattern}")
    print(summary("bare", bare))
    print(summary("sandbox", sandbox))
    print(summary("cli", cli))
    ratio = statistics.median(sandbox) / statistics.median(bare)
    print(f"sandbox / bare = {ratio:.2f}×   (target: ready ≤ 1.0 s and ≤ 2.5× bare)")
    with tempfile.TemporaryDirectory() as state:
        os.environ["XDG_STATE_HOME"] = state  # a private shared server, not the user's
        shared = start_shared()
        try:
            warm = [warm_sandbox(args.pattern, shared) for _ in range(args.runs)]
        finally:
            stop_shared()
    print(summary("warm", warm) + "   (target ≤ 400 ms)")
    # Interleaved with the interpreter's own start (site-packages and all), which --help cannot beat.
    pairs = [(timed_python("-m", "restate_play", "--help"), timed_python("-c", "pass")) for _ in range(args.runs)]
    print(summary("help", [h for h, _ in pairs]) + "   (target ≤ 300 ms)")
    print(summary("python", [p for _, p in pairs]) + "   (`python -c pass`: the interpreter alone)")
    server, service, total = peak_memory(args.pattern)
    print(
        f"peak RSS during the {args.pattern} scenario: server {server / 1024:.0f} MiB, "
        f"service {service / 1024:.0f} MiB, total {total / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    main()
