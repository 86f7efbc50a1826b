"""`restate-play chaos <pattern>`: traffic at scale, random SIGKILLs, then the pattern's invariants."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from restate_play.errors import PlayError
from restate_play.paths import scenarios_dir
from restate_play.patterns.catalog import PATTERNS, get_pattern
from restate_play.restate.introspection import Introspection
from restate_play.sandbox.sandbox import Sandbox, SandboxOptions
from restate_play.scenario.chaos import (
    GENERATORS,
    ChaosStats,
    Evidence,
    at_least_once,
    check_invariants,
    drive,
    load_spec,
    wait_idle,
)
from restate_play.scenario.result import Check
from restate_play.views.tables import checks_table
from restate_play.world import ledger


def patterns_with_chaos() -> list[str]:
    return [p.slug for p in PATTERNS if (scenarios_dir() / f"{p.slug}.chaos.toml").exists() and p.slug in GENERATORS]


def run_chaos(
    slug: str,
    requests: int,
    concurrency: int,
    kills: int,
    seed: int,
    target: str,
    idempotent: bool,
    time_scale: float,
    note,
    status,
) -> dict[str, Any]:
    pattern = get_pattern(slug)
    if slug not in patterns_with_chaos():
        raise PlayError(
            f"The pattern '{slug}' has no chaos traffic yet.",
            "Chaos runs exist for: " + ", ".join(patterns_with_chaos()),
        )
    targets = {"both": ("service", "server"), "service": ("service",), "server": ("server",)}.get(target)
    if targets is None:
        raise PlayError(f"Unknown --target '{target}'.", "Use service, server or both.")
    if requests < 1 or concurrency < 1 or kills < 0:
        raise PlayError("--requests and --concurrency must be ≥ 1, --kills ≥ 0.")
    spec = load_spec(scenarios_dir() / f"{slug}.chaos.toml")
    downtime = random.Random(seed + 1)
    with Sandbox(pattern, SandboxOptions(time_scale=time_scale, supervise=True), status=status) as sb:

        async def kill(part: str) -> float:
            await asyncio.to_thread(sb.kill_service if part == "service" else sb.kill_server)
            await asyncio.sleep(downtime.uniform(0.2, 0.8))
            return await asyncio.to_thread(sb.restart_service if part == "service" else sb.restart_server)

        publisher = None

        async def publish(topic: str, line: str) -> int:
            # One producer for the whole run (a new one per record would cost ~0.1 s each).
            nonlocal publisher
            from restate_play.sandbox.kafka_client import Publisher, parse_line

            if publisher is None:
                kafka = next(c for c in sb.components if c.name == "kafka")
                publisher = Publisher(kafka.bootstrap)
            (record,) = await asyncio.to_thread(publisher.publish, topic, [parse_line(line, where="record")])
            return record.offset

        async def main() -> tuple[list, ChaosStats, list[Check], bool]:
            outcomes, stats = await drive(
                slug,
                spec,
                sb.ingress_url,
                kill,
                publish=publish,
                requests=requests,
                concurrency=concurrency,
                kills=kills,
                seed=seed,
                targets=targets,
                idempotent=idempotent,
                note=note,
            )
            sql = Introspection(sb.admin_url)
            try:
                records = sum(1 for o in outcomes if o.request.topic)
                if records:  # the HTTP requests beside them (event-enrichment) are invocations too
                    records += sum(1 for o in outcomes if not o.request.topic and o.status == 200)
                idle = await wait_idle(sql, pattern.services, settle=spec.settle, at_least=records)
                evidence = Evidence(outcomes, ledger.read(sb.ledger_path), sql, pattern.services)
                checks = await check_invariants(slug, spec, evidence)
                checks.append(
                    Check(
                        0,
                        "every invocation completed after the chaos",
                        idle,
                        "idle" if idle else "some still running after 60 s",
                    )
                )
            finally:
                await sql.aclose()
            return outcomes, stats, checks, idle

        outcomes, stats, checks, _ = asyncio.run(main())
        repeats = at_least_once(ledger.read(sb.ledger_path))
        sandbox = sb.describe()
    return {
        "pattern": slug,
        "title": spec.title,
        "seed": seed,
        "idempotency_keys": idempotent,
        "passed": all(c.passed for c in checks),
        "invariants": [c.to_dict() for c in checks],
        "requests": stats.requests,
        "completed": stats.completed,
        "client_retries": stats.client_retries,
        "duration": round(stats.duration, 3),
        "throughput": round(stats.throughput, 2),
        "kills": stats.kills,
        "at_least_once": [{"action": a, "args": args, "runs": n} for a, args, n in repeats],
        "sandbox": sandbox,
    }


def print_chaos(report: dict[str, Any], out: Console) -> None:
    kills = Table(title="Kills", title_justify="left", show_edge=False, pad_edge=False)
    for col in ("#", "target", "at (s)", "after answers", "restart took (s)"):
        kills.add_column(col)
    for i, k in enumerate(report["kills"], 1):
        kills.add_row(str(i), k["target"], f"{k['at']:.2f}", str(k["after_requests"]), f"{k['restart_took']:.2f}")
    out.print(kills)
    if report["at_least_once"]:
        out.print(
            Text(
                "External actions that ran more than once for one invocation (a crash hit before the "
                "step's result was journaled; the retry ran it again: at-least-once):",
                style="yellow",
            )
        )
        for row in report["at_least_once"][:10]:
            out.print(Text(f"  ↻ {row['action']} {row['args']} ×{row['runs']}", style="yellow"))
    else:
        out.print(Text("No external action ran twice for one invocation.", style="green"))
    checks = [Check(c["step"], c["description"], c["passed"], c["detail"]) for c in report["invariants"]]
    out.print(checks_table(checks, title="Invariants"))
    keys = "with idempotency keys" if report["idempotency_keys"] else "WITHOUT idempotency keys"
    verdict = "HELD" if report["passed"] else "VIOLATED"
    out.print(
        Text(
            f"{verdict}: {report['pattern']} · {report['requests']} requests {keys} · {len(report['kills'])} kills · "
            f"seed {report['seed']} · {report['completed']} answered in {report['duration']:.1f} s "
            f"({report['throughput']:.1f} req/s) · {report['client_retries']} client retries",
            style="bold green" if report["passed"] else "bold red",
        )
    )
