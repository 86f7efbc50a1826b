"""`restate-play chaos <pattern>`: traffic at scale, random SIGKILLs, then the pattern's invariants."""

from __future__ import annotations

import asyncio
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from restate_play.errors import PlayError
from restate_play.paths import scenarios_dir
from restate_play.patterns.catalog import PATTERNS, get_pattern
from restate_play.sandbox.cluster import node_parts
from restate_play.sandbox.ports import free_ports_like
from restate_play.sandbox.sandbox import Sandbox, SandboxOptions
from restate_play.scenario.chaos import (
    ChaosPlan,
    ChaosSpec,
    InvariantResult,
    at_least_once,
    check_invariants,
    judged,
    load_spec,
    pattern_chaos,
)
from restate_play.scenario.chaos_driver import ChaosDriver, ChaosStats, SandboxParts
from restate_play.scenario.result import Check
from restate_play.views.tables import checks_table
from restate_play.world import ledger
from restate_play.world.chaos_api import PatternChaos, Verdict

TARGETS = {"both": ("service", "server"), "service": ("service",), "server": ("server",)}
SHOWN = 5  # anomaly sentences printed per invariant (the JSON keeps more)


def patterns_with_chaos() -> list[str]:
    return [p.slug for p in PATTERNS if (scenarios_dir() / f"{p.slug}.chaos.toml").exists() and pattern_chaos(p.slug)]


def _checked_options(
    slug: str, target: str, requests: int, concurrency: int, kills: int, nodes: int = 1, beyond_quorum: bool = False
) -> tuple[str, ...]:
    if slug not in patterns_with_chaos():
        raise PlayError(
            f"The pattern '{slug}' has no chaos traffic yet.",
            "Chaos runs exist for: " + ", ".join(patterns_with_chaos()),
        )
    targets = TARGETS.get(target)
    if target == "nodes":  # one machine at a time (the rest keep a majority); more with --beyond-quorum
        if nodes < 3:
            raise PlayError("--target nodes kills machines of a cluster that survives one.", "Add --nodes 3.")
        targets = node_parts(nodes, beyond_quorum)
    if targets is None:
        raise PlayError(f"Unknown --target '{target}'.", "Use service, server, both or nodes (with --nodes 3).")
    if requests < 1 or concurrency < 1 or kills < 0:
        raise PlayError("--requests and --concurrency must be ≥ 1, --kills ≥ 0.")
    return targets


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
    nodes: int = 1,
    beyond_quorum: bool = False,
) -> dict[str, Any]:
    pattern = get_pattern(slug)
    targets = _checked_options(slug, target, requests, concurrency, kills, nodes, beyond_quorum)
    chaos = pattern_chaos(slug)
    assert chaos is not None
    spec = load_spec(scenarios_dir() / f"{slug}.chaos.toml")
    plan = ChaosPlan.make(
        chaos, keys=spec.keys, requests=requests, kills=kills, seed=seed, targets=targets, idempotent=idempotent
    )
    options = SandboxOptions(time_scale=time_scale, supervise=True, client_ports=free_ports_like(pattern.client_ports))
    options.nodes = nodes  # a cluster: traffic spread over its nodes' ingresses (SandboxParts)
    with Sandbox(pattern, options, status=status) as sb:
        stats, results, repeats, sandbox = chaos_in(sb, chaos, spec, plan, concurrency, note)
    return chaos_report(slug, spec.title, seed, idempotent, stats, results, repeats, sandbox)


def chaos_in(
    sb: Sandbox, chaos: PatternChaos, spec: ChaosSpec, plan: ChaosPlan, concurrency: int, note
) -> tuple[ChaosStats, list[InvariantResult], list[tuple[str, dict[str, Any], int]], dict[str, Any]]:
    """Play the plan on a started sandbox, then judge the invariants, idleness and repeated actions."""
    driver = ChaosDriver(plan, SandboxParts(sb), concurrency=concurrency, note=note)

    async def play() -> list[InvariantResult]:
        await driver.run()
        evidence, stuck = await driver.collect(spec)
        idle = Verdict("idle" if not stuck else "some still running after 60 s", stuck)
        return [
            *check_invariants(chaos, spec, evidence),
            judged("every invocation completed after the chaos", idle),
        ]

    results = asyncio.run(play())
    return driver.stats, results, at_least_once(ledger.read(sb.ledger_path)), sb.describe()


def chaos_report(
    slug: str,
    title: str,
    seed: int,
    idempotent: bool,
    stats: ChaosStats,
    results: list[InvariantResult],
    repeats: list[tuple[str, dict[str, Any], int]],
    sandbox: dict[str, Any],
) -> dict[str, Any]:
    reached = [k for k in stats.kills if k.at_request is not None]
    return {
        "pattern": slug,
        "title": title,
        "seed": seed,
        "idempotency_keys": idempotent,
        "passed": all(r.check.passed for r in results),
        "invariants": [r.to_dict() for r in results],
        "requests": stats.requests,
        "completed": stats.completed,
        "client_retries": stats.client_retries,
        "duration": round(stats.duration, 3),
        "throughput": round(stats.throughput, 2),
        "kills": [k.to_dict() for k in reached],  # the kills attempted, each with `landed` and its proof
        "kills_planned": len(stats.kills),
        "kills_landed": stats.landed,
        "kills_not_reached": [k.to_dict() for k in stats.kills if k.at_request is None],
        "at_least_once": [{"action": a, "args": args, "runs": n} for a, args, n in repeats],
        "sandbox": sandbox,
    }


def kills_summary(report: dict[str, Any]) -> str:
    """'5 kills planned, 5 landed, 5 while work was in flight (requests in flight at each: 16, 14, 0
    with 12 invocations unfinished, …)'."""
    landed = [k for k in report["kills"] if k["landed"]]
    text = f"{report['kills_planned']} kills planned, {report['kills_landed']} landed"
    if landed:
        hit = sum(1 for k in landed if k.get("hit_work"))
        at_each = [
            f"{k['in_flight']}" + (f" with {k['unfinished']} invocations unfinished" if k.get("unfinished") else "")
            for k in landed
        ]
        text += f", {hit} while work was in flight (requests in flight at each: {', '.join(at_each)})"
    return text


def _kills_table(report: dict[str, Any]) -> Table:
    kills = Table(title="Kills", title_justify="left", show_edge=False, pad_edge=False)
    for col in ("#", "target", "at (s)", "request", "in flight", "after answers", "restart took (s)", "landed"):
        kills.add_column(col)
    for i, k in enumerate(report["kills"], 1):
        kills.add_row(
            str(i),
            k["target"],
            f"{k['at']:.2f}",
            f"#{k['at_request']}",
            str(k["in_flight"]),
            str(k["after_requests"]),
            f"{k['restart_took']:.2f}",
            "✔" if k["landed"] else "✘",
        )
    return kills


def _print_explanations(report: dict[str, Any], out: Console) -> None:
    for inv in report["invariants"]:
        if inv["passed"] or not inv.get("explanation"):
            continue
        out.print(Text(f"✘ {inv['description']}: {inv['detail']}", style="bold red"))
        for sentence in inv["explanation"][:SHOWN]:
            out.print(Text(f"  · {sentence}", style="red"))
        if inv["anomalies"] > SHOWN:
            out.print(Text(f"  … and {inv['anomalies'] - SHOWN} more (--json lists up to 20)", style="red"))


def print_chaos(report: dict[str, Any], out: Console) -> None:
    out.print(_kills_table(report))
    landed_all = report["kills_landed"] == report["kills_planned"] and all(k.get("hit_work") for k in report["kills"])
    out.print(Text(kills_summary(report) + ".", style="green" if landed_all else "yellow"))
    for k in report["kills"] + report["kills_not_reached"]:
        if not k["landed"]:
            out.print(Text(f"  ✘ {k['summary']}", style="yellow"))
    from restate_play.commands.cluster import majority_losses

    for line in majority_losses(report["kills"]):  # --beyond-quorum: requests waited, none was lost
        out.print(Text(line, style="yellow"), soft_wrap=True)
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
    _print_explanations(report, out)
    keys = "with idempotency keys" if report["idempotency_keys"] else "WITHOUT idempotency keys"
    verdict = "HELD" if report["passed"] else "VIOLATED"
    out.print(
        Text(
            f"{verdict}: {report['pattern']} · {report['requests']} requests {keys} · "
            f"{len(report['kills'])} kills ({report['kills_landed']} of {report['kills_planned']} planned landed) · "
            f"seed {report['seed']} · {report['completed']} answered in {report['duration']:.1f} s "
            f"({report['throughput']:.1f} req/s) · {report['client_retries']} client retries",
            style="bold green" if report["passed"] else "bold red",
        )
    )
