"""`restate-play run <pattern>`: a sandbox, the scenario played against it, live view, verdict."""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import os
import time
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.text import Text

from restate_play.errors import PlayError
from restate_play.paths import scenarios_dir
from restate_play.patterns.catalog import Pattern
from restate_play.report.record import Recorder, also_to, live_console
from restate_play.restate.ingress import Ingress, IngressResponse
from restate_play.restate.introspection import Introspection
from restate_play.sandbox import registry
from restate_play.sandbox.ports import free_ports_like
from restate_play.sandbox.sandbox import Sandbox, SandboxOptions
from restate_play.sandbox.shared_server import SharedServer, find_shared
from restate_play.sandbox.target import Target
from restate_play.scenario.model import Request, Scenario, Step, load
from restate_play.scenario.observer import LiveModel, Observer
from restate_play.scenario.result import Check, RunResult
from restate_play.scenario.runner import ScenarioRunner
from restate_play.views.dashboard import dashboard
from restate_play.views.journal import journal_tree
from restate_play.views.story import journal_legend, narration_text, story_lines, story_text
from restate_play.views.tables import checks_table, ledger_table, state_table
from restate_play.views.values import short
from restate_play.world import ledger

DEFAULT_TIME_SCALE = 0.1


def scenario_path(pattern: Pattern, scenario: str | None) -> Path:
    if scenario is None:
        return scenarios_dir() / pattern.default_scenario
    candidate = Path(scenario)
    if candidate.suffix == ".toml" and candidate.exists():
        return candidate
    named = scenarios_dir() / (scenario if scenario.endswith(".toml") else f"{scenario}.toml")
    if named.exists():
        return named
    known = sorted(p.stem for p in scenarios_dir().glob(f"{pattern.slug}*.toml"))
    raise PlayError(f"No scenario '{scenario}'.", f"Scenarios for {pattern.slug}: {', '.join(known) or 'none'}")


class NarrationReporter:
    """Turns runner events into short lines, sent to a sink (stdout lines, or the live panel)."""

    def __init__(self, sink, total_steps: int):
        self.sink = sink
        self.total = total_steps
        self.t0 = time.monotonic()
        self.on_invocation = lambda _invocation_id: None  # e.g. the live view following it by id

    def offset(self) -> str:
        return f"+{time.monotonic() - self.t0:.1f}s"

    def step(self, step: Step) -> None:
        what = step.say or step.action.replace("_", " ")
        self.sink(f"[{step.number}/{self.total}] {self.offset()} {what}")

    def request(self, req: Request, curl: str) -> None:
        self.sink(f"    $ {curl}")

    def response(self, req: Request, resp: IngressResponse) -> None:
        inv = f"  ({resp.invocation_id})" if resp.invocation_id else ""
        self.sink(f"    ← {resp.status} {short(resp.text, 100)}{inv}")
        self.on_invocation(resp.invocation_id)

    def note(self, text: str) -> None:
        # When it happened matters for crashes, restarts and retries; an indented note continues
        # the one before (the rows of an SQL answer) and keeps its columns.
        self.sink(f"    · {text}" if text.startswith(" ") else f"    · {self.offset()} {text}")

    def check(self, check: Check) -> None:
        mark = "✔" if check.passed else "✘"
        extra = "" if check.passed else f"  — {check.detail}"
        self.sink(f"    {mark} {check.description}{extra}")


class SandboxAdapter:
    """What the runner may do to the sandbox."""

    def __init__(self, sandbox: Sandbox):
        self.sb = sandbox
        self.ledger_path = sandbox.ledger_path
        ports = sandbox.service.client_ports if sandbox.service else ()
        self.client_url = f"http://127.0.0.1:{ports[0]}" if ports else None
        # The pattern's PostgreSQL, if it has one (for `sql` / `expect_sql` steps).
        self.database_url = next((c.url for c in sandbox.components if c.name == "postgres"), None)
        self.ledger_promised = sandbox.target.ledger_promised  # else an empty ledger is "not observed"

    def kill_service(self) -> None:
        self.sb.kill_service()

    def restart_service(self) -> float:
        return self.sb.restart_service()

    def kill_server(self) -> None:
        self.sb.kill_server()

    def restart_server(self) -> float:
        return self.sb.restart_server()

    # A cluster's nodes (`run --nodes 3`): scenario/nodes.py
    def kill_node(self, number: int) -> int | None:
        return self.sb.kill_node(number)

    def restart_node(self, number: int) -> float:
        return self.sb.restart_node(number)

    def cluster_view(self):
        return self.sb.cluster.view()

    def service_log_tail(self, lines: int) -> list[str]:
        return self.sb.service.log_tail(lines) if self.sb.service else []

    def _kafka(self):
        kafka = next((c for c in self.sb.components if c.name == "kafka"), None)
        if kafka is None:
            raise PlayError("'publish' steps need a pattern with a Kafka broker (needs = {\"kafka\"}).")
        return kafka

    def publish(self, topic: str, lines: list[str]) -> list[dict]:
        from restate_play.sandbox.kafka_client import publish_lines

        return [p.to_dict() for p in publish_lines(self._kafka().bootstrap, topic, lines, where="record")]

    def kafka_sinks(self, topic: str) -> list[str]:
        subs = self._kafka().describe().get("subscriptions", [])
        return [s["sink"] for s in subs if s["source"].rsplit("/", 1)[-1] == topic]


def sandbox_options(
    pattern: Pattern, scenario: Scenario, time_scale: float | None, data_dir: Path | None
) -> SandboxOptions:
    env = dict(scenario.env)
    if scenario.faults:
        env["RESTATE_PLAY_FAULTS"] = json.dumps(scenario.faults)
    if scenario.latency:
        env["RESTATE_PLAY_LATENCY"] = json.dumps(scenario.latency)
    if scenario.durations:
        env["RESTATE_PLAY_DURATIONS"] = json.dumps(scenario.durations)
    scale = time_scale if time_scale is not None else (scenario.time_scale or DEFAULT_TIME_SCALE)
    # Free ports everywhere (the client app's too): a run never collides with a `serve` or a test.
    client_ports = free_ports_like(pattern.client_ports)
    return SandboxOptions(time_scale=scale, data_dir=data_dir, extra_env=env, client_ports=client_ports, supervise=True)


async def play(
    sandbox: Sandbox,
    scenario: Scenario,
    pattern: Pattern,
    mode: str,
    out: Console,
    storm: tuple[int, int] | None = None,
    recorder: Recorder | None = None,
) -> RunResult:
    """Play the scenario; mode is 'live', 'plain' or 'json'. `storm`: (requests, concurrency) instead.
    `recorder` (--record): the live view is recorded (drawn off screen when not in a terminal)."""
    from restate_play.sandbox.cluster import NodeClients

    nodes = NodeClients(sandbox.server)  # a cluster: traffic spread over its nodes' ingresses
    ingress = Ingress(sandbox.ingress_url, http=nodes.ingress)
    sql = Introspection(sandbox.admin_url, http=nodes.admin)
    model = LiveModel(title=f"restate-play · {pattern.title} · {scenario.title}")
    sink = model.events.append if mode == "live" else (out.print if mode == "plain" else (lambda _l: None))
    if recorder is not None and mode != "live":  # the recorded live view tells the story too
        sink = also_to(sink, model.events)
    reporter = NarrationReporter(sink, len(scenario.steps))
    runner = ScenarioRunner(scenario, pattern.slug, SandboxAdapter(sandbox), ingress, sql, reporter)
    if storm is not None:  # --requests: N requests from the first step, instead of the steps
        from restate_play.scenario.storm import StormRunner

        live_events = model.events if mode == "live" else None
        client_url = runner.sandbox.client_url
        runner = StormRunner(scenario, pattern.slug, ingress, sql, *storm, client_url, sink, live_events, reporter)
    observer = Observer(
        sql,
        pattern.services,
        sandbox.ledger_path,
        model,
        log_tail=sandbox.service.log_tail if sandbox.service else None,
        # A storm through the ingress reports every answer's id: no table scans while it runs.
        sweep_every=None if storm is not None and runner.template.via == "ingress" else 5,
    )
    reporter.on_invocation = observer.track
    exits = asyncio.create_task(_watch_service_exits(sandbox, runner.result, reporter))
    try:
        view = live_console(recorder, mode, out)
        if view is not None:
            try:
                await _play_live(runner, observer, model, view)
            finally:  # the live view is gone (also after Ctrl-C): its story stays on screen
                if recorder is not None:
                    recorder.stop()
                if mode == "live":
                    print_narration(model.events, out)
        else:
            await runner.run()
        exits.cancel()
        await observer.refresh()
        if recorder is not None:  # the last frame: it ends the cast and is run.svg
            recorder.final_screen(model_dashboard(model, "recorded with restate-play --record", recorder.size[1]))
        await observer.close()
        result = runner.result
        await _collect(result, sql, pattern, sandbox, limit=recorder.invocation_limit if recorder else 50)
        result.sandbox = sandbox.describe()
        result.timings.update(
            {
                "server_healthy": sandbox.timings.server_healthy,
                "service_healthy": sandbox.timings.service_healthy,
                "ready": sandbox.timings.ready,
            }
        )
        for component in sandbox.components:  # e.g. PostgreSQL's start (included in `ready`)
            if getattr(component, "start_seconds", None):
                result.timings[f"{component.name}_ready"] = component.start_seconds
        result.story = story_lines(result)
        return result
    finally:
        exits.cancel()
        await ingress.aclose()
        await sql.aclose()
        await nodes.aclose()


async def _watch_service_exits(sandbox: Sandbox, result: RunResult, reporter: NarrationReporter) -> None:
    """Narrate and record the service dying on its own (the sandbox's supervisor restarts it)."""
    seen = getattr(sandbox, "unexpected_service_exits", 0)
    while True:
        await asyncio.sleep(0.1)
        now = getattr(sandbox, "unexpected_service_exits", 0)
        for _ in range(now - seen):
            result.service_exits.append({"target": "service", "at": time.time()})
            reporter.note("💥 the service process exited on its own; restarting it (like `tsx watch`)")
        seen = now


def print_narration(lines: list[str], out: Console) -> None:
    """The run's narration as lines outside any box: curl lines stay whole and copyable."""
    for line in lines:
        out.print(narration_text(line), soft_wrap=True)


def model_dashboard(model: LiveModel, footer: str = "", height: int = 50):
    """The live dashboard of what the observer gathered."""
    return dashboard(
        model.title,
        model.events,
        model.shown_invocations(),
        model.journals,
        model.state,
        model.ledger,
        model.service_log,
        footer,
        height=height,
        cache=model.render_cache,
    )


async def _play_live(runner: ScenarioRunner, observer: Observer, model: LiveModel, out: Console) -> None:
    # What exists now (modules, the sandbox) lives for the whole run: keep it out of the collector's
    # full passes, which otherwise stop a frame for up to ~60 ms (measured in bench/live_view.py).
    gc.freeze()
    from restate_play.scenario.nodes import ClusterWatch
    from restate_play.views.cluster import with_cluster_panel

    cluster = ClusterWatch.of(getattr(runner, "sandbox", None))  # a cluster: its panel, failovers as they come

    def frame():
        footer = (
            f"refresh {model.last_refresh_ms:.0f} ms · {model.refreshes} refreshes · "
            f"{'server up' if model.server_up else 'server DOWN'} · Ctrl-C stops and cleans up"
        )
        layout = model_dashboard(model, footer, out.size.height)
        return with_cluster_panel(layout, cluster.view, cluster.failovers) if cluster and cluster.view else layout

    # Drawn only when there is something new (no auto-refresh thread redrawing the same frame).
    with Live(frame(), console=out, auto_refresh=False, screen=False, transient=True) as live:

        async def watch() -> None:
            # A storm asks Restate less often (its SQL costs the server CPU the storm measures) and
            # redraws every 0.5 s instead of 0.2 s: it shares the cores with what it measures.
            storm = hasattr(runner, "observer_interval")
            tick_seconds = 0.5 if storm else 0.2
            every = max(1, round(getattr(runner, "observer_interval", tick_seconds) / tick_seconds))
            for tick in itertools.count():
                if tick % every == 0:
                    await observer.refresh()
                if cluster is not None and tick % 5 == 0:  # restatectl: three queries, about once a second
                    await cluster.refresh()
                live.update(frame(), refresh=True)
                await asyncio.sleep(tick_seconds)

        watcher = asyncio.create_task(watch())
        try:
            await runner.run()
            await asyncio.sleep(0.3)
        finally:
            watcher.cancel()


async def _collect(result: RunResult, sql: Introspection, pattern: Pattern, sandbox: Sandbox, limit: int = 50) -> None:
    services = ", ".join(f"'{s}'" for s in pattern.services)
    invocations = await sql.invocations(f"target_service_name IN ({services})", limit=limit, order="created_at ASC")
    events = await _journal_events(sql, [inv.id for inv in invocations])
    for inv in invocations:
        entries = await sql.journal(inv.id)
        journal = [e.to_dict() for e in entries]
        result.invocations.append({**inv.to_dict(), "journal": journal, "events": events.get(inv.id, [])})
    for service in pattern.services:
        result.state += [e.to_dict() for e in await sql.state(service)]
    result.ledger = [
        {"seq": e.seq, "ts": e.ts, "action": e.action, "args": e.args, "invocation": e.invocation}
        for e in ledger.read(sandbox.ledger_path)
    ]


async def _journal_events(sql: Introspection, ids: list[str]) -> dict[str, list[dict]]:
    """Each invocation's journal events (TransientError: a failed attempt Restate retried), in one query."""
    from restate_play.restate.introspection import sql_str
    from restate_play.restate.journal import decode_event

    if not ids:
        return {}
    try:
        rows = await sql.query(
            "SELECT id, after_journal_entry_index AS index, event_type, event_json, appended_at "
            f"FROM sys_journal_events WHERE id IN ({', '.join(sql_str(i) for i in ids)}) ORDER BY appended_at"
        )
    except PlayError:
        return {}  # a server without the table: the result just has no events
    by_id: dict[str, list[dict]] = {}
    for row in rows:
        by_id.setdefault(row["id"], []).append(decode_event(row).to_dict())
    return by_id


def print_summary(result: RunResult, out: Console) -> None:
    from restate_play.restate.records import Invocation, JournalEntry, StateEntry
    from restate_play.world.ledger import LedgerEntry

    out.rule("Journals")
    trees = []
    for inv_dict in result.invocations[-10:]:
        journal = [JournalEntry(**e) for e in inv_dict["journal"]]
        inv = Invocation(**{k: v for k, v in inv_dict.items() if k not in ("journal", "events")})
        trees.append(journal_tree(inv, journal))
    if trees:  # what the icons below mean, once, naming only those they use
        out.print(journal_legend(trees))
    for tree in trees:
        out.print(tree)
    if result.state:
        out.print(
            state_table(
                [
                    StateEntry(s["service"], s["key"], s["name"], json.dumps(s["value"]) if s["json"] else s["value"])
                    for s in (result.state[-20:] if result.storm else result.state)  # a storm: thousands
                ]
            )
        )
    if result.ledger:
        out.print(
            ledger_table(
                [LedgerEntry(e["seq"], e["ts"], e["action"], e["args"], e["invocation"]) for e in result.ledger[-30:]]
            )
        )
    if result.storm:
        from restate_play.views.storm import storm_table

        out.print(storm_table(result.storm))
    out.print(checks_table(result.checks))
    if result.error:
        out.print(Text(f"error: {result.error}", style="red bold"))
    if result.story:
        out.rule("What just happened")
        out.print(story_text(result.story))
    verdict = "PASSED" if result.passed else "FAILED"
    passed = sum(c.passed for c in result.checks)
    out.print(
        Text(
            f"{verdict}: {passed}/{len(result.checks)} expectations held · {result.pattern} · "
            f"{result.scenario} · ready in {result.timings.get('ready', 0):.2f} s, "
            f"scenario {result.timings.get('scenario', 0):.1f} s",
            style="bold green" if result.passed else "bold red",
        )
    )


def can_share(pattern: Pattern, scenario: Scenario, data_dir: Path | None) -> bool:
    """Whether a run may use a server it did not start (and must not crash), reset before it plays."""
    if data_dir is not None or pattern.needs:
        return False
    return not any(step.action in ("crash", "restart") and step.target == "server" for step in scenario.steps)


def usable_shared_server(pattern: Pattern, scenario: Scenario, data_dir: Path | None, status):
    """The shared server (`restate-play server start`) when this run can use it, else None.

    Not for runs that crash the server (it is shared), that need extra parts configured into the
    server at start (Kafka), that keep their own data directory, or when a private one is asked for.
    """
    if os.environ.get("RESTATE_PLAY_PRIVATE_SERVER") or not can_share(pattern, scenario, data_dir):
        return None
    shared = find_shared()
    if shared is None:
        return None
    if not shared.healthy():
        status(f"The shared restate-server (pid {shared.pid}) does not answer: starting a private one.")
        return None
    return shared


def run_pattern(
    slug: str | Target,
    scenario: str | None,
    mode: str,
    out: Console,
    status,
    time_scale: float | None = None,
    data_dir: Path | None = None,
    requests: int | None = None,
    concurrency: int | None = None,
    service_port: int | None = None,
    kept: SharedServer | None = None,  # run --watch: the session's server, reset between replays
    nodes: int = 1,
    record: Path | None = None,
) -> RunResult:
    from restate_play.commands.targets import PatternTarget, as_target, code_line, refuse_crashes, scenario_file
    from restate_play.scenario.nodes import needs_cluster
    from restate_play.scenario.storm import check_options, storm_template

    storm = check_options(requests, concurrency)  # (requests, concurrency) or None
    target = as_target(slug)  # a pattern; the user's directory, file, module:attr, command or deployment
    pattern = target.pattern
    storm_file = scenarios_dir() / f"{pattern.slug}.storm.toml"
    if storm and scenario is None and isinstance(target, PatternTarget) and storm_file.exists():
        scenario = f"{pattern.slug}.storm"  # the pattern's storm traffic, e.g. one object key per request
    path = scenario_file(target, scenario)
    loaded = load(path)
    refuse_crashes(target, loaded, path)  # a deployment of the user's cannot be crashed
    if storm:
        storm_template(loaded)  # a clear error before anything starts
    options = sandbox_options(pattern, loaded, time_scale, data_dir)
    options.service_port = service_port
    if nodes == 1 and needs_cluster(loaded.steps):  # it kills or checks a node: that takes a cluster
        status("This scenario kills a node of a cluster: it runs on three nodes (as with --nodes 3).")
        nodes = 3
    options.nodes = nodes  # more than 1: a cluster (never the shared server)
    # The shared server is reset by service names; the user's code only tells its own once registered.
    if kept is not None and nodes == 1 and can_share(pattern, loaded, data_dir):
        options.shared = kept
    elif isinstance(target, PatternTarget) and nodes == 1:
        options.shared = usable_shared_server(pattern, loaded, data_dir, status)
    status(code_line(target))
    if os.environ.get("RESTATE_PLAY_KEEP_DATA"):
        status("RESTATE_PLAY_KEEP_DATA is set: the sandbox's data directory is kept.")
    with (
        Sandbox(pattern, options, status=status, target=target) as sandbox,
        registry.registered("run", sandbox.describe()),
    ):
        status(
            f"Sandbox ready in {sandbox.timings.ready:.2f} s (ingress {sandbox.ingress_url}, "
            f"admin {sandbox.admin_url}); playing '{loaded.title}'"
        )
        recorder = Recorder(record, f"restate-play run {pattern.slug}") if record else None
        result = asyncio.run(play(sandbox, loaded, sandbox.pattern, mode, out, storm=storm, recorder=recorder))
        if recorder is not None:  # written while the sandbox stops
            recorder.save_meanwhile(result.to_dict(), status)
    if recorder is not None:
        recorder.wait()
    return result
