"""Live view cost against history: one dashboard refresh (queries + render) with 10 and with
10,000 completed invocations retained by the server.

    python bench/live_view.py [--history 10000] [--refreshes 30]

Same sandbox, measured twice: after the first 10 invocations, then after growing the history to
`--history`. Between refreshes one new invocation runs, so each refresh has something to show.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time

import httpx
from rich.console import Console

from restate_play.commands.run import model_dashboard
from restate_play.patterns.catalog import get_pattern
from restate_play.restate.introspection import Introspection
from restate_play.sandbox.sandbox import Sandbox, SandboxOptions
from restate_play.scenario.observer import LiveModel, Observer


async def grow(ingress: str, start: int, stop: int, concurrency: int = 64) -> None:
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=concurrency)) as http:

        async def one(i: int) -> None:
            async with sem:
                await http.post(f"{ingress}/product/h{i}/reserve")

        await asyncio.gather(*(one(i) for i in range(start, stop)))


async def refreshes(sb: Sandbox, n: int, offset: int) -> tuple[list[float], list[float], float, list[float]]:
    sql = Introspection(sb.admin_url)
    model = LiveModel(title="bench")
    observer = Observer(sql, get_pattern("durable-rpc").services, sb.ledger_path, model)
    console = Console(file=open("/dev/null", "w"), width=160, height=50)  # noqa: SIM115
    query_ms, total_ms, sweep_ms = [], [], []
    phases: list[tuple[float, float, int]] = []  # (total, queries, phase after the refresh)
    await observer.refresh()  # the first refresh of a view fills it; steady state is what repeats
    gc.freeze()  # as the live view does when it starts (run.py's _play_live)
    q0 = sql.queries
    async with httpx.AsyncClient(timeout=30) as http:
        for i in range(n):
            resp = await http.post(f"{sb.ingress_url}/product/live{offset + i}/reserve")
            observer.track(resp.headers.get("x-restate-id"))  # as `run` does with every answer
            sweeps = model.refreshes % observer.sweep_every == 0  # this refresh starts a sweep beside it
            t0 = time.perf_counter()
            await observer.refresh()
            t1 = time.perf_counter()
            console.print(model_dashboard(model))  # with the model's panel cache, as the live view draws
            t2 = time.perf_counter()
            query_ms.append((t1 - t0) * 1000)
            total_ms.append((t2 - t0) * 1000)
            if sweeps:
                sweep_ms.append(total_ms[-1])
            phases.append((total_ms[-1], query_ms[-1], model.refreshes % observer.sweep_every))
    per_refresh = (sql.queries - q0) / n
    slowest = ", ".join(f"{t:.0f} ms ({q:.0f} in queries, phase {ph})" for t, q, ph in sorted(phases)[-3:])
    print(f"  slowest refreshes: {slowest}", flush=True)
    await observer.close()
    await sql.aclose()
    return query_ms, total_ms, per_refresh, sweep_ms


def show(label: str, query_ms: list[float], total_ms: list[float], per_refresh: float, sweep_ms: list[float]) -> float:
    med = statistics.median(total_ms)
    p95 = statistics.quantiles(total_ms, n=20)[-1]
    print(
        f"{label:<16} refresh median {med:6.1f} ms, p95 {p95:5.1f}, max {max(total_ms):5.1f} "
        f"(queries {statistics.median(query_ms):5.1f} ms; min {min(total_ms):5.1f}; "
        f"refreshes starting a sweep: median {statistics.median(sweep_ms):5.1f}, max {max(sweep_ms):5.1f}; "
        f"{per_refresh:.1f} queries/refresh)",
        flush=True,
    )
    return med


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--history", type=int, default=10_000)
    parser.add_argument("--refreshes", type=int, default=30)
    args = parser.parse_args()
    with Sandbox(get_pattern("durable-rpc"), SandboxOptions()) as sb:
        asyncio.run(grow(sb.ingress_url, 0, 10))
        small = show("10 retained", *asyncio.run(refreshes(sb, args.refreshes, 0)))
        t0 = time.monotonic()
        asyncio.run(grow(sb.ingress_url, 10, args.history))
        print(f"(grew the history to {args.history} invocations in {time.monotonic() - t0:.0f} s)", flush=True)
        large = show(f"{args.history} retained", *asyncio.run(refreshes(sb, args.refreshes, 1000)))
    print(f"ratio {large / small:.2f}×   (target: ≤ 50 ms and ≤ 1.5×; every 5th refresh also sweeps: see max)")


if __name__ == "__main__":
    main()
