"""`restate-play crash-demo`: kill the service (or the server) mid-invocation and watch recovery."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from restate_play.commands.crash_request import request_scenario
from restate_play.commands.run import play, print_summary, sandbox_options, scenario_path
from restate_play.commands.targets import PatternTarget, Target, as_target, code_line, refuse_crashes
from restate_play.errors import PlayError
from restate_play.paths import scenarios_dir
from restate_play.patterns.catalog import PATTERNS
from restate_play.report.record import Recorder, save
from restate_play.sandbox.sandbox import Sandbox
from restate_play.scenario.model import load
from restate_play.scenario.replay import ReplayReport, analyse
from restate_play.scenario.result import RunResult
from restate_play.views.story import story_lines

CRASH_SCENARIO = "crash.toml"  # in a directory target
DEFAULT_PATTERN = "sagas"  # the clearest story: bookings made, a crash, none made twice


def patterns_with_demo() -> list[str]:
    return [p.slug for p in PATTERNS if (scenarios_dir() / f"{p.slug}.crash.toml").exists()]


def crash_demo(
    slug: str | Target | None,
    at: str | None,
    target: str,
    mode: str,
    out: Console,
    status,
    record: Path | None = None,
    nodes: int = 1,
    request: tuple[str, str | None] | None = None,  # --call TARGET --body JSON|@file: one request of the user's
) -> tuple[RunResult, ReplayReport | None]:
    code = as_target(slug or DEFAULT_PATTERN)  # a pattern; the user's directory, file, module:attr, command…
    if target not in ("service", "server", "leader"):
        raise PlayError(f"Unknown target '{target}'.", "Use --target service, server or leader (with --nodes 3).")
    if target == "leader" and nodes < 3:
        raise PlayError("--target leader kills one node of a cluster.", "Add --nodes 3.")
    if request is not None:
        part = "server" if target == "server" else "service"
        scenario = request_scenario(request[0], request[1], at, part, Path.cwd())
    else:
        scenario = load(crash_scenario(code))
    steps = []
    for step in scenario.steps:
        if step.action == "crash":
            step = step.model_copy(update={"crash": target, "after_entry": at or step.after_entry})
            if target == "leader":  # the node leading the invocation's partition (scenario/nodes.py)
                say = (
                    f"SIGKILL the node leading the trip's partition right after '{step.after_entry}' is in the "
                    f"journal; another node takes over; restart the dead one {step.restart_after} s later"
                )
                step = step.model_copy(update={"crash": "node", "node": "leader", "say": say})
            elif target == "server":
                say = (
                    f"SIGKILL restate-server right after '{step.after_entry}' is in the journal; "
                    f"restart it on the same data {step.restart_after} s later"
                )
                step = step.model_copy(update={"say": say})
            elif at:
                say = (
                    f"SIGKILL the service right after '{at}' is in the journal; restart it {step.restart_after} s later"
                )
                step = step.model_copy(update={"say": say})
        steps.append(step)
    scenario = replace(scenario, steps=steps)
    refuse_crashes(code, scenario, scenario.path)  # --deployment: its service is not ours to kill
    options = sandbox_options(code.pattern, scenario, None, None)
    options.nodes = nodes
    status(code_line(code))
    with Sandbox(code.pattern, options, status=status, target=code) as sandbox:
        recorder = Recorder(record, f"restate-play crash-demo {code.pattern.slug}") if record else None
        result = asyncio.run(play(sandbox, scenario, sandbox.pattern, mode, out, recorder=recorder))
    report = analyse(result.to_dict(), step_number=len(steps) + 1)
    if report:
        result.checks.extend(report.checks)
        result.story = story_lines(result)  # told again with the replay's checks
    if recorder is not None:  # the same document as --json prints
        save(recorder, {**result.to_dict(), "replay": report.to_dict() if report else None}, status)
    return result, report


def crash_scenario(code: Target) -> Path:
    """The pattern's <slug>.crash.toml, or a directory target's crash.toml (`new` writes one)."""
    if isinstance(code, PatternTarget):
        slug = code.pattern.slug
        if slug not in patterns_with_demo():
            demos = ", ".join(patterns_with_demo())
            raise PlayError(f"The pattern '{slug}' has no crash demo yet.", f"Crash demos exist for: {demos}")
        return scenario_path(code.pattern, f"{slug}.crash")
    path = code.root / CRASH_SCENARIO
    if not path.is_file():
        raise PlayError(
            f"{code.source} has no crash demo: {path} does not exist.",
            "Write a scenario there with a crash step (`restate-play scenario actions` shows `crash`), "
            "e.g. one made by `restate-play new sagas DIR`.",
        )
    return path


def print_report(result: RunResult, report: ReplayReport | None, out: Console) -> None:
    print_summary(result, out)
    if report is None and result.crashes:  # killed, but nothing of the invocation was left to run
        out.print(
            Text(
                "The crash came after the invocation's last journal entry: nothing was in flight to replay. "
                "Crash after an earlier entry (--at), or give a step some latency (world.latency in a scenario).",
                style="yellow",
            )
        )
        return
    if report is None:
        out.print(Text("No crash happened, so there is no replay to report.", style="yellow"))
        return
    out.rule(f"Replay after the {report.target} crash")
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("journal step")
    table.add_column("after the restart")
    for step in report.steps:
        if step["journaled_before_crash"]:
            table.add_row(
                step["name"], Text("replayed from the journal: its recorded result was reused", style="green")
            )
        else:
            table.add_row(step["name"], Text("executed after the restart", style="cyan"))
    out.print(table)
    for row in report.exactly_once:
        out.print(Text(f"✔ {row['action']} ran {row['runs']}× in the outside world (exactly once)", style="green"))
    for row in report.at_least_once:
        out.print(
            Text(
                f"↻ {row['action']} ran {row['runs']}×: the crash hit while it was under way, before its result was "
                "journaled, so the retry ran it again (at-least-once). An idempotency key at the provider makes "
                "that harmless.",
                style="yellow",
            )
        )
    crashed = next((i for i in result.invocations if i["id"] == report.invocation_id), None)
    if crashed is not None:  # the crashed invocation on a time axis: the crash, the retries, the replay
        from restate_play.report.model import terminal_timeline

        out.rule("Timeline")
        out.print(terminal_timeline(crashed, result.crashes))
