"""The chaos run's plan (seeded, deterministic), its specs, and the driver's kill bookkeeping with
stand-in parts: each planned kill lands while requests are in flight, or says why it did not."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rich.console import Console

from restate_play.commands.chaos import kills_summary, print_chaos
from restate_play.errors import PlayError
from restate_play.paths import scenarios_dir
from restate_play.scenario.chaos import ChaosPlan, load_spec, pattern_chaos, plan_kills
from restate_play.scenario.chaos_driver import ChaosDriver
from restate_play.world.chaos_api import ChaosRequest, PatternChaos

CHAOS_SPECS = sorted(scenarios_dir().glob("*.chaos.toml"))


def slug_of(path):
    return path.name.removesuffix(".chaos.toml")


def make(slug, seed=7, requests=60, kills=4, idempotent=True):
    chaos = pattern_chaos(slug)
    spec = load_spec(scenarios_dir() / f"{slug}.chaos.toml")
    return ChaosPlan.make(
        chaos,
        keys=spec.keys,
        requests=requests,
        kills=kills,
        seed=seed,
        targets=("service", "server"),
        idempotent=idempotent,
    )


@pytest.mark.parametrize("path", CHAOS_SPECS, ids=slug_of)
def test_shipped_chaos_specs_load_and_name_their_patterns_invariants(path):
    spec = load_spec(path)
    chaos = pattern_chaos(slug_of(path))
    assert chaos is not None and spec.invariants and set(spec.invariants) <= set(chaos.invariants)


@pytest.mark.parametrize("path", CHAOS_SPECS, ids=slug_of)
def test_same_seed_same_traffic_and_kill_points(path):
    slug = slug_of(path)
    assert make(slug) == make(slug)
    assert make(slug, seed=8) != make(slug)
    without = make(slug, idempotent=False)
    assert all(r.idempotency_key is None for r in without.requests)


def test_the_plan_is_the_one_the_seed_always_made():
    # Pinned from runs before the chaos code moved beside the patterns: the seeds in docs and
    # tests keep telling the same story.
    plan = make("sagas", seed=1, requests=100, kills=5)
    assert [(k.index, k.target) for k in plan.kills] == [
        (12, "server"),
        (34, "service"),
        (54, "server"),
        (66, "server"),
        (82, "service"),
    ]
    rpc = make("durable-rpc", seed=7, requests=80, kills=2, idempotent=False)
    assert [(k.index, k.target) for k in rpc.kills] == [(25, "service"), (50, "service")]
    assert rpc.requests[5].target == "product/p0/reserve" and rpc.requests[5].meta == {"reservation": "p0-r0"}


def test_kill_points_spread_over_the_traffic():
    points = plan_kills(random.Random(3), random.Random(4), 100, 9, ("service", "server"))
    indexes = [p.index for p in points]
    assert len(set(indexes)) == 9 and indexes == sorted(indexes)
    for j, index in enumerate(indexes):  # kill j sits within ±30 % of a span around its mark
        assert abs(index - 10 * (j + 1)) <= 3 + j  # (+j: a taken index moves on by one)
    assert {p.target for p in points} <= {"service", "server"} and all(0.2 <= p.downtime <= 0.8 for p in points)
    crowded = plan_kills(random.Random(3), random.Random(4), 3, 6, ("server",))
    assert len({p.index for p in crowded}) == 6 and max(p.index for p in crowded) >= 3  # some never come


def test_unknown_invariant_names_the_known_ones(tmp_path):
    path = tmp_path / "sagas.chaos.toml"
    path.write_text('invariants = ["all-or-nothing", "no-such-thing"]\n')
    with pytest.raises(PlayError) as err:
        load_spec(path)
    assert "no-such-thing" in str(err.value) and "one-saga-per-trip" in str(err.value.hint)
    assert pattern_chaos("sync-to-async") is None


# -- the driver, with stand-in parts: a small local HTTP server as the ingress, processes as PIDs ---


class FakeParts:
    """Processes as a dict of PIDs, and an HTTP ingress on loopback whose answers take a moment and
    wait while a part is down (as a request to a killed server does), so requests overlap the kills
    as in a real run. `unfinished` answers the given counts in turn (then the last one)."""

    def __init__(self, down=(), unfinished=(7,)):
        self.pids = {"service": 100, "server": 200}
        for part in down:
            del self.pids[part]
        self.events: list[tuple[str, str]] = []
        self.offset, self.next_pid, self.closed = 0, 300, False
        self.killed: set[str] = set()
        self.counts = list(unfinished)
        self.services, self.ledger_path, self.admin_url = ("svc",), None, "http://127.0.0.1:9"
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.ingress_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handler(self):
        parts = self

        class Ingress(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length", 0)))
                parts.wait_up()
                body = b"true"
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.send_header("x-restate-id", f"inv_{self.path.strip('/')}")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Ingress

    def wait_up(self):
        while self.killed:
            time.sleep(0.005)
        time.sleep(0.02)

    def pid(self, part):
        return self.pids.get(part)

    def kill(self, part):
        self.events.append(("kill", part))
        del self.pids[part]
        self.killed.add(part)

    def restart(self, part):
        self.events.append(("restart", part))
        self.killed.discard(part)
        self.next_pid += 1
        self.pids[part] = self.next_pid
        return 0.01

    @staticmethod
    def gone(pid):
        return True

    async def unfinished(self):
        return self.counts.pop(0) if len(self.counts) > 1 else self.counts[0]

    async def aclose(self):
        self.closed = True
        self.server.shutdown()
        self.server.server_close()

    def publish(self, topic, line):
        self.wait_up()
        self.offset += 1
        return self.offset


calls, records = PatternChaos("calls"), PatternChaos("records")


@calls.traffic
def call(rng, n, *, keys, idempotent):
    return ChaosRequest(n=n, target=f"svc/k{rng.randrange(keys)}/run{n}", idempotency_key=f"op-{n}")


@records.traffic
def record(rng, n, *, keys, idempotent):
    return ChaosRequest(n=n, target=f"k{rng.randrange(keys)}:{{}}", key="k", topic="t")


def drive(plan, parts, concurrency=4):
    plan = ChaosPlan(plan.requests, [replace(k, downtime=0.01) for k in plan.kills])  # keep the test quick
    notes: list[str] = []
    driver = ChaosDriver(plan, parts, concurrency=concurrency, note=notes.append)
    stats = asyncio.run(driver.run())
    return driver, stats, notes


def test_every_planned_kill_lands_while_requests_are_in_flight():
    plan = ChaosPlan.make(calls, keys=3, requests=40, kills=3, seed=5, targets=("service", "server"), idempotent=True)
    parts = FakeParts()
    driver, stats, notes = drive(plan, parts)
    assert stats.completed == 40 and stats.landed == 3 and parts.closed
    for o in driver.outcomes:  # each answer kept with the invocation id the ingress named
        assert o.status == 200 and o.body is True and o.invocation == f"inv_{o.request.target}"
    assert [k.at_request for k in stats.kills] == [p.index for p in plan.kills]
    assert [e for e in parts.events if e[0] == "kill"] == [("kill", p.target) for p in plan.kills]
    assert parts.events[1::2] == [("restart", p.target) for p in plan.kills]  # each restarted before the next kill
    for kill in stats.kills:
        assert kill.landed and kill.hit_work and kill.at_request in kill.in_flight and len(kill.in_flight) >= 2
        assert kill.pid and kill.new_pid not in (None, kill.pid) and kill.unfinished is None  # not waited for
    assert len(notes) == 3 and "killed at request #" in notes[0] and "in flight (#" in notes[0]


def test_with_only_kafka_records_a_kill_waits_for_work_to_interrupt():
    # A publish is not work the kill interrupts: with none of the pattern's invocations running
    # yet (Restate has not consumed the records), the kill waits, bounded, until some are.
    plan = ChaosPlan.make(records, keys=3, requests=20, kills=1, seed=5, targets=("service",), idempotent=True)
    _, stats, _ = drive(plan, FakeParts(unfinished=(0, 0, 0, 5)))
    (kill,) = stats.kills
    assert kill.landed and kill.in_flight == [] and kill.unfinished == 5 and kill.hit_work


def test_a_kill_that_cannot_land_or_never_comes_is_reported():
    plan = ChaosPlan.make(records, keys=3, requests=20, kills=1, seed=5, targets=("server",), idempotent=True)
    _, stats, _ = drive(plan, FakeParts(down=("server",)))
    (kill,) = stats.kills
    assert not kill.landed and "already down" in kill.why and stats.landed == 0
    few = ChaosPlan.make(records, keys=3, requests=2, kills=4, seed=5, targets=("service",), idempotent=True)
    _, stats, _ = drive(few, FakeParts())
    never = [k for k in stats.kills if k.at_request is None]
    assert never and all("only 2 requests" in str(k) for k in never)
    assert stats.landed == len(stats.kills) - len(never)


def test_the_report_says_how_many_kills_landed_and_explains_violations():
    kill = {
        "target": "server",
        "at": 1.0,
        "after_requests": 3,
        "restart_took": 0.5,
        "at_request": 7,
        "in_flight": 0,
        "unfinished": 12,
        "hit_work": True,
        "landed": True,
        "summary": "kill 1: server pid 9 killed at request #7",
    }
    missed = {**kill, "landed": False, "in_flight": 0, "summary": "kill 2: server not killed: already down"}
    report = {
        "pattern": "sagas",
        "seed": 1,
        "idempotency_keys": False,
        "passed": False,
        "requests": 10,
        "completed": 10,
        "duration": 2.0,
        "throughput": 5.0,
        "client_retries": 0,
        "at_least_once": [],
        "kills": [kill, missed],
        "kills_planned": 2,
        "kills_landed": 1,
        "kills_not_reached": [],
        "invariants": [
            {
                "step": 0,
                "description": "[one-saga-per-trip] one saga",
                "passed": False,
                "detail": "1 of 3 trips",
                "anomalies": 1,
                "explanation": ["customer c3's trip booked flight F3 2 times (ledger lines 4 and 9)"],
            }
        ],
    }
    summary = "2 kills planned, 1 landed, 1 while work was in flight"
    summary += " (requests in flight at each: 0 with 12 invocations unfinished)"
    assert kills_summary(report) == summary
    console = Console(record=True, width=200)
    print_chaos(report, console)
    text = console.export_text()
    assert "2 kills planned, 1 landed" in text and "kill 2: server not killed: already down" in text
    assert "customer c3's trip booked flight F3 2 times (ledger lines 4 and 9)" in text and "VIOLATED" in text
