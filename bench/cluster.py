"""A three-node cluster: ready time against one node's (same run), failover time, memory.

    python bench/cluster.py [--starts 3] [--trials 10]

- ready: `Sandbox.timings.ready` of the sagas sandbox (server(s) healthy, service registered; for
  three nodes also every partition led and the deployment known on every node), one node and
  three nodes alternately, `--starts` each.
- failover: a saga in flight (providers answer in 0.2 s, the car in 0.1 s); right after 'Book
  flight' is journaled, SIGKILL the node leading the partition, then time until 'Book car' is in
  the journal. That includes the re-run of the car step that was under way (0.1 s) and the SQL
  polling (every 20 ms). Then the node is restarted and the cluster settles before the next trial.
- memory: VmRSS of every process of the three-node sandbox (nodes, service, world) after the trials.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import time
from pathlib import Path

import httpx

from restate_play.patterns.catalog import get_pattern
from restate_play.restate.introspection import Introspection
from restate_play.sandbox.cluster import NodeClients
from restate_play.sandbox.sandbox import Sandbox, SandboxOptions
from restate_play.scenario.entry_wait import entry_done, wait_for_entry
from restate_play.waiting import eventually

LATENCY = {"flight.book": 0.2, "car.book": 0.1, "hotel.book": 0.2}


def options(nodes: int) -> SandboxOptions:
    env = {"RESTATE_PLAY_LATENCY": json.dumps(LATENCY)}
    return SandboxOptions(nodes=nodes, time_scale=0.1, extra_env=env, supervise=True)


def ready_times(starts: int) -> dict[int, list[float]]:
    times: dict[int, list[float]] = {1: [], 3: []}
    for _ in range(starts):
        for nodes in (1, 3):
            with Sandbox(get_pattern("sagas"), options(nodes)) as sb:
                times[nodes].append(sb.timings.ready)
    return times


def trip(i: int) -> dict:
    return {
        "customerId": f"fo{i}",
        "flights": {"flightId": "F1", "passengerName": "Bench"},
        "car": {"pickupLocation": "Airport", "rentalDate": "2025-01-01"},
        "hotel": {"arrivalDate": "2025-01-01", "departureDate": "2025-01-02"},
    }


async def failover(sb: Sandbox, i: int, ingress: httpx.AsyncClient, sql: Introspection) -> float:
    resp = await ingress.post(f"{sb.ingress_url}/BookingWorkflow/run/send", json=trip(i))
    inv = resp.json()["invocationId"]
    seen, why = await wait_for_entry(sql, inv, "Book flight", 20.0)
    assert seen, why
    leader = (await asyncio.to_thread(sb.cluster.view)).leader_number(0)
    assert leader is not None
    t0 = time.monotonic()
    sb.kill_node(leader)
    while not entry_done(await sql.journal(inv), "Book car"):
        await asyncio.sleep(0.02)
    took = time.monotonic() - t0
    await asyncio.to_thread(sb.restart_node, leader)
    settle = lambda: sb.cluster.view()  # noqa: E731
    eventually(settle, until=lambda v: not v.dead() and v.leaders_alive(), timeout=30, what="the cluster settled")
    print(f"  trial {i + 1}: leader node {leader} killed → next journal entry after {took:.2f} s", flush=True)
    return took


async def failovers(sb: Sandbox, trials: int) -> list[float]:
    clients = NodeClients(sb.server)
    ingress = clients.ingress or httpx.AsyncClient()
    sql = Introspection(sb.admin_url, http=clients.admin)
    try:
        return [await failover(sb, i, ingress, sql) for i in range(trials)]
    finally:
        await clients.aclose()


def rss_mib(pid: int | None) -> float:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except (OSError, TypeError):
        return 0.0
    match = re.search(r"VmRSS:\s+(\d+)", text)
    return int(match.group(1)) / 1024 if match else 0.0


def sandbox_rss(sb: Sandbox) -> dict[str, float]:
    parts = {f"node {n['node']}": rss_mib(n["pid"]) for n in sb.describe()["nodes"]}
    parts["service"] = rss_mib(sb.service.pid if sb.service else None)
    parts["world"] = rss_mib(sb.world.pid if sb.world else None)
    return parts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--trials", type=int, default=10)
    args = parser.parse_args()
    ready = ready_times(args.starts)
    for nodes, values in ready.items():
        shown = ", ".join(f"{v:.2f}" for v in values)
        print(f"ready, {nodes} node(s): median {statistics.median(values):.2f} s ({shown})")
    with Sandbox(get_pattern("sagas"), options(3)) as sb:
        times = asyncio.run(failovers(sb, args.trials))
        rss = sandbox_rss(sb)
    print(
        f"failover (SIGKILL leader → next journal entry): median {statistics.median(times):.2f} s over "
        f"{len(times)} trials, min {min(times):.2f}, max {max(times):.2f}"
    )
    print(f"memory (VmRSS): {sum(rss.values()):.0f} MiB in all: " + ", ".join(f"{k} {v:.0f}" for k, v in rss.items()))


if __name__ == "__main__":
    main()
