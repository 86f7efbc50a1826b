"""The `restate-play` command line. Commands parse, call one room, and hand records to views.

Imports of heavy modules happen inside each command, so `restate-play --help` stays fast.
"""

from __future__ import annotations

import signal
from functools import wraps
from pathlib import Path
from typing import Annotated

import typer

from restate_play.errors import PlayError
from restate_play.lean_help import import_typer_help

import_typer_help()  # typer's help without rich.markdown and rich.traceback, which it never draws here

app = typer.Typer(
    name="restate-play",
    help=(
        "An interactive playground for Restate's patterns and use cases.\n\n"
        "Starts a real restate-server and a pattern's Python services, plays scripted traffic "
        "(concurrent requests, crashes, restarts), and shows journals, state and side effects live.\n\n"
        "Start with:  restate-play list   then   restate-play run sagas"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
state_app = typer.Typer(help="Read and edit the K/V state of Virtual Objects and Workflows.", no_args_is_help=True)
inv_app = typer.Typer(
    help="List invocations, describe one with its journal, cancel/kill/resume it, or restart a finished one.",
    no_args_is_help=True,
)
server_app = typer.Typer(
    help="Keep one restate-server running in the background, so repeated runs start in a fraction of a second.",
    no_args_is_help=True,
)
app.add_typer(server_app, name="server")
app.add_typer(state_app, name="state")
app.add_typer(inv_app, name="invocations")
kafka_app = typer.Typer(
    help="Publish keyed JSON records to the sandbox's Kafka, tail a topic, list topics.", no_args_is_help=True
)
app.add_typer(kafka_app, name="kafka")
db_app = typer.Typer(
    help="Query the pattern's PostgreSQL, as the Database document's psql lines do.", no_args_is_help=True
)
app.add_typer(db_app, name="db")

AdminUrl = Annotated[
    str | None,
    typer.Option(
        "--admin-url",
        help="Restate admin API, http:// if no scheme, or a running serve's name (default: the running `serve`, "
        "else http://127.0.0.1:9070).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
NodesOpt = Annotated[
    int,
    typer.Option(
        "--nodes",
        min=1,
        max=7,
        help="Run a real cluster of N restate-server nodes (3 survives one dead node; default 1: one server).",
    ),
]
WideOpt = Annotated[bool, typer.Option("--wide", help="Every column and full ids, however wide the terminal.")]
InvocationId = Annotated[
    str, typer.Argument(help="An invocation id (inv_…), or a unique prefix of one as `invocations list` shows.")
]
KafkaBootstrap = Annotated[
    str | None, typer.Option("--kafka-bootstrap", help="Use this Kafka (HOST:PORT) instead of starting a broker.")
]
DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", help="Use this PostgreSQL instead of starting one (database).")
]
TARGET_HELP = (
    "A pattern slug (e.g. sagas, see `restate-play list`), or your own code: a directory (its app.py, or what "
    "its restate-play.toml names), a .py file, or module:attr (a restate.app(...) or a list of services)."
)
TargetArg = Annotated[str, typer.Argument(help=TARGET_HELP)]
WatchOpt = Annotated[
    bool, typer.Option("--watch", help="On every save under the target's directory: restart the service and go again.")
]
RecordOpt = Annotated[
    Path | None,
    typer.Option(
        "--record",
        help="Write pictures of the run into this directory: report.html (a timeline, opens from disk), run.svg "
        "(the final screen), run.cast (asciicast v2 of the live view), run.json (the --json document).",
    ),
]
OptionalTargetArg = Annotated[
    str | None,
    typer.Argument(help=TARGET_HELP + " With --service-cmd or --deployment: a pattern (its scenario) or a directory."),
]
ServiceCmdOpt = Annotated[
    str | None,
    typer.Option(
        "--service-cmd",
        help="Your service in any language: a shell command that listens on 127.0.0.1:$PORT, e.g. "
        '"npx tsx src/app.ts". Started in its own process group, crashed and restarted like a pattern\'s.',
    ),
]
DeploymentOpt = Annotated[
    str | None,
    typer.Option(
        "--deployment",
        help="A service you already run (URL, e.g. http://127.0.0.1:9080): registered, never crashed; "
        "scenarios that crash or restart the service are refused.",
    ),
]


def _friendly(fn):
    """PlayErrors become a red message with a hint and exit code 2, never a traceback; with --json
    (the `as_json` parameter), `{"error": …, "hint": …}` on stdout."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except PlayError as err:
            from restate_play.errors import report

            report(err, bool(kwargs.get("as_json")))
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            from restate_play.commands.common import stderr_console

            stderr_console().print("interrupted: the sandbox was stopped and its ports freed.", style="yellow")
            raise typer.Exit(130) from None

    return wrapper


@app.command("list")
@_friendly
def list_patterns(as_json: JsonOpt = False, wide: WideOpt = False) -> None:
    """The patterns, grouped as the source documents group them."""
    from restate_play.commands.listing import show_patterns

    show_patterns(as_json, wide)


def _print_legend(wanted: bool) -> None:
    if wanted:  # eager: before the pattern argument is asked for
        from restate_play.commands.common import stdout_console
        from restate_play.views.story import glossary_table

        stdout_console().print(glossary_table())
        raise typer.Exit(0)


@app.command()
@_friendly
def run(
    target: OptionalTargetArg = None,
    scenario: Annotated[
        str | None, typer.Option("--scenario", "-s", help="Scenario name in scenarios/, or a path to a .toml file.")
    ] = None,
    as_json: JsonOpt = False,
    plain: Annotated[bool, typer.Option("--plain", help="Plain lines instead of the live dashboard.")] = False,
    time_scale: Annotated[
        float | None, typer.Option("--time-scale", help="Scale the document's waits (default: the scenario's, or 0.1).")
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Keep the sandbox's data (Restate, ledger, logs) in this directory."),
    ] = None,
    kafka_bootstrap: KafkaBootstrap = None,
    database_url: DatabaseUrl = None,
    requests: Annotated[
        int | None,
        typer.Option(
            "--requests",
            help="Storm: send N requests built from the scenario's first call/send step instead of its steps "
            "({i} in its target, idempotency key or body_json becomes 1…N). Without {i} all go to one target: "
            "fine for a Service, serialized for a Virtual Object key. Default scenario: <pattern>.storm if any.",
        ),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option("--concurrency", help="Storm: requests in flight at once (with --requests; default 16)."),
    ] = None,
    nodes: NodesOpt = 1,
    legend: Annotated[
        bool,
        typer.Option(
            "--legend",
            is_eager=True,
            expose_value=False,
            callback=_print_legend,
            help="Print what every journal icon means, and exit (the report has a one-line legend of its marks).",
        ),
    ] = False,
    watch: WatchOpt = False,
    service_cmd: ServiceCmdOpt = None,
    service_port: Annotated[
        int | None, typer.Option("--service-port", help="The port --service-cmd listens on (default: a free one).")
    ] = None,
    deployment: DeploymentOpt = None,
    record: RecordOpt = None,
) -> None:
    """Run a pattern's scenario on a fresh sandbox, live, and check what the pattern promises.

    With --requests, a storm instead: throughput, errors and latency percentiles of N requests.
    Exit code 0 when every expectation held, 1 when one did not, 2 on errors.

    \b
    restate-play run sagas                          the pattern, live
    restate-play run . --watch                      your project; replays on every save
    restate-play run sagas --service-cmd "npx tsx src/booking_workflow.ts"   your TypeScript sagas
    restate-play run --deployment http://127.0.0.1:9080 --scenario checks.toml
    restate-play run sagas --record out/            pictures of the run: out/report.html, run.svg, run.cast
    """
    from restate_play.commands.common import output_mode
    from restate_play.commands.run import run_pattern
    from restate_play.sandbox.target import resolve_any

    target = resolve_any(target, service_cmd, deployment)

    if kafka_bootstrap:  # read by the Kafka component: use this Kafka, start no broker
        import os

        os.environ["RESTATE_PLAY_KAFKA_BOOTSTRAP"] = kafka_bootstrap
    if database_url:  # read by the PostgreSQL component: use this database, start none
        import os

        os.environ["RESTATE_PLAY_DATABASE_URL"] = database_url
    mode, out, status = output_mode(as_json, plain)
    if watch and record:
        raise PlayError("--record and --watch do not go together.", "Record one run: drop --watch.")
    if watch:  # until Ctrl-C: each save replays the scenario on a fresh sandbox (the server kept, reset)
        from restate_play.commands.watch import kept_server, watch_runs

        with kept_server(target, status) as kept:
            watch_runs(
                target,
                lambda: run_pattern(
                    target, scenario, mode, out, status, time_scale, data_dir, service_port=service_port, kept=kept
                ),
                lambda result: _show_run(result, as_json, out),
                as_json,
                status,
            )
    result = run_pattern(
        target,
        scenario,
        mode,
        out,
        status=status,
        time_scale=time_scale,
        data_dir=data_dir,
        requests=requests,
        concurrency=concurrency,
        record=record,
        nodes=nodes,
        service_port=service_port,
    )
    _show_run(result, as_json, out)
    raise typer.Exit(0 if result.passed else 1)


def _show_run(result, as_json: bool, out) -> None:
    from restate_play.commands.run import print_summary

    if as_json:
        from restate_play.commands.common import print_json

        print_json(result.to_dict())
    else:
        print_summary(result, out)


ResumePausedOpt = Annotated[
    bool,
    typer.Option(
        "--resume-paused",
        help="With --watch: after each save, resume the invocations paused on the old code on the new one.",
    ),
]


@app.command()
@_friendly
def serve(
    target: OptionalTargetArg = None,
    ingress_port: Annotated[int, typer.Option(help="Ingress port (the documents use 8080).")] = 8080,
    admin_port: Annotated[int, typer.Option(help="Admin API port (the documents use 9070).")] = 9070,
    service_port: Annotated[int, typer.Option(help="The service's port (the documents use 9080).")] = 9080,
    fabric_port: Annotated[int, typer.Option(help="restate-server's node-to-node port.")] = 5122,
    client_port: Annotated[
        list[int] | None,
        typer.Option("--client-port", help="Port(s) of the pattern's client app (default: the document's)."),
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Keep Restate's data here (survives restarts of `serve`).")
    ] = None,
    time_scale: Annotated[float, typer.Option("--time-scale", help="1.0 keeps the document's real durations.")] = 1.0,
    kafka_port: Annotated[
        int, typer.Option("--kafka-port", envvar="RESTATE_PLAY_KAFKA_PORT", help="Port of the Kafka broker it starts.")
    ] = 9092,
    kafka_bootstrap: KafkaBootstrap = None,
    database_url: DatabaseUrl = None,
    db_port: Annotated[int, typer.Option("--db-port", help="Port of the PostgreSQL it starts (database).")] = 5432,
    nodes: NodesOpt = 1,
    watch: WatchOpt = False,
    resume_paused: ResumePausedOpt = False,
    service_cmd: ServiceCmdOpt = None,
    deployment: DeploymentOpt = None,
) -> None:
    """Start a pattern's sandbox and keep it up, so the source document's curl lines work verbatim.

    Ctrl-C stops everything. From another shell: `restate-play state get …`, `restate-play invocations list`.

    \b
    restate-play serve sagas                        the pattern on 8080/9070/9080
    restate-play serve . --watch                    your project; restarted and registered on every save
    restate-play serve sagas --service-cmd "npx tsx src/booking_workflow.ts"   (it listens on $PORT=9080)
    """
    if resume_paused:  # read after each reload of --watch (commands/fix_forward.offer_resume)
        import os

        os.environ["RESTATE_PLAY_RESUME_PAUSED"] = "1"
    from restate_play.commands.serve import serve_pattern
    from restate_play.sandbox.target import resolve_any

    serve_pattern(
        resolve_any(target, service_cmd, deployment),
        ingress_port,
        admin_port,
        service_port,
        fabric_port,
        tuple(client_port) if client_port else None,
        data_dir,
        time_scale,
        kafka_port=kafka_port,
        kafka_bootstrap=kafka_bootstrap,
        database_url=database_url,
        db_port=db_port,
        watch=watch,
        nodes=nodes,
    )


@app.command()
@_friendly
def new(
    pattern: Annotated[str | None, typer.Argument(help="The pattern to start from (see --list).")] = None,
    directory: Annotated[
        Path | None, typer.Argument(help="Where to make it (default: ./PATTERN); must be empty.")
    ] = None,
    list_them: Annotated[bool, typer.Option("--list", help="The patterns that make a project.")] = False,
) -> None:
    """A standalone project from a pattern: app.py, scenario.toml, a pytest test and a README.

    Then `cd DIR && restate-play run .` (or `run . --watch`, `serve .`).
    """
    from restate_play.commands.new_cmd import make_project

    make_project(pattern, directory, list_them)


@app.command()
@_friendly
def setup() -> None:
    """Install what the playground needs (the pinned restate-server binary) and say where it is."""
    from restate_play import RESTATE_SERVER_VERSION
    from restate_play.commands.common import stderr_console
    from restate_play.sandbox.binary import ensure_binary

    err = stderr_console()
    path = ensure_binary(lambda m: err.print(m))
    print(f"restate-server {RESTATE_SERVER_VERSION}: {path}")


@app.command()
@_friendly
def tutorial(
    chapter: Annotated[
        str | None, typer.Option("--chapter", "-c", help="Play this chapter (see --list), e.g. sagas.")
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="The chapters, with your progress.")] = False,
    reset: Annotated[
        bool,
        typer.Option("--reset", help="Start over: forget your tutorial progress and --answers' (exercises are kept)."),
    ] = False,
    answers: Annotated[
        str | None,
        typer.Option(
            "--answers",
            help="Script the predictions, one per question: choice numbers or letters, '2,b,1'. "
            "Plays from and to a progress file of its own: yours is never overwritten.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Guided tutorial: learn durable execution step by step, on a real restate-server.

    Each step explains, shows the handler's code, asks you to predict what
    happens (each wrong choice is a belief developers really hold), plays it
    live, and checks your prediction against what you saw. Each chapter ends
    with an exercise to write yourself (restate-play exercise).
    Progress is kept between runs; with no option it picks up where you left off.

    Examples:
      restate-play tutorial                  pick up where you left off
      restate-play tutorial --list           the chapters, with your progress
      restate-play tutorial --chapter sagas  play (or replay) one chapter
      restate-play tutorial --answers 3,1    scripted, no terminal needed
      restate-play tutorial --reset          start over from chapter 1
    """
    from restate_play.commands.common import stdout_console
    from restate_play.commands.tutorial import list_chapters, reset_progress, run_tutorial

    if reset:
        reset_progress(stdout_console())
    if list_:
        list_chapters(as_json, stdout_console())
    if not (reset or list_):
        run_tutorial(chapter, answers)


@app.command()
@_friendly
def exercise(
    exercise_id: Annotated[str | None, typer.Argument(help="An exercise id (see --list); default: the next.")] = None,
    list_: Annotated[bool, typer.Option("--list", help="The exercises in learning order, with your progress.")] = False,
    hint: Annotated[bool, typer.Option("--hint", help="The next hint (three levels) of the current exercise.")] = False,
    solution: Annotated[
        bool, typer.Option("--solution", help="The reference solution and why (only after a real attempt).")
    ] = False,
    reset: Annotated[bool, typer.Option("--reset", help="Forget its progress; rewrite its file here.")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Check once, no watching: exit 0 passed, 1 not yet (scripts, CI).")
    ] = False,
    file: Annotated[
        Path | None, typer.Option("--file", help="With --check: the file to check (default: ./ID.py).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="With --check: move the crashes by this seed (when, how long down).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Exercises: write the durable code yourself; every save is checked on a real sandbox, crashes included.

    Examples:
      restate-play exercise --list                  the exercises, with progress marks
      restate-play exercise                         the next one: writes ./ID.py here and checks every save
      restate-play exercise --hint                  a hint for the current one (three levels)
      restate-play exercise --solution              the solution, after a real attempt
      restate-play exercise charge-once --check     check ./charge_once.py once: exit 0 passed, 1 not yet
      restate-play exercise --reset charge-once     start it over
    """
    from restate_play.commands import exercise as ex
    from restate_play.commands.common import output_mode, stdout_console

    out = stdout_console()
    if list_:
        ex.list_exercises(as_json, out)
    elif hint:
        ex.hint(exercise_id, out)
    elif solution:
        ex.solution(exercise_id, out)
    elif reset:
        ex.reset_exercise(exercise_id, out)
    elif check:
        _mode, out, status = output_mode(as_json, plain=False)
        ex.check_once(exercise_id, file, seed, as_json, out, status)
    else:
        _mode, out, status = output_mode(False, plain=False)
        ex.run_exercise(exercise_id, out, status)


@state_app.command("get")
@_friendly
def state_get(
    service: Annotated[str, typer.Argument(help="Service name, e.g. machineOperator.")],
    key: Annotated[str, typer.Argument(help="Object key, e.g. a.")],
    admin_url: AdminUrl = None,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """Show the K/V state of one object, like `restate kv get`. Unknown services and keys list those that exist."""
    from restate_play.commands.state import get_state

    get_state(service=service, key=key, admin_url=admin_url, as_json=as_json, wide=wide)


@state_app.command("set")
@_friendly
def state_set(
    service: Annotated[str, typer.Argument(help="Service name.")],
    key: Annotated[str, typer.Argument(help="Object key.")],
    name: Annotated[str, typer.Argument(help="State key to set.")],
    value: Annotated[str, typer.Argument(help="New value as JSON, e.g. '\"UP\"' or '{\"a\": 1}'.")],
    admin_url: AdminUrl = None,
) -> None:
    """Set one state key of an object (the value must be JSON, as the SDK's default serde expects)."""
    from restate_play.commands.state import set_state

    set_state(service, key, name, value, admin_url)


@inv_app.command("list")
@_friendly
def invocations_list(
    service: Annotated[str | None, typer.Option("--service", help="Only this service.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="Only this status (running, backing-off, completed, …).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many, newest first.")] = 50,
    admin_url: AdminUrl = None,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """List invocations, newest first. Ids are shown as short unique prefixes: every command takes them."""
    from restate_play.commands.invocations import list_invocations

    list_invocations(service=service, status=status, limit=limit, admin_url=admin_url, as_json=as_json, wide=wide)


@inv_app.command("describe")
@_friendly
def invocations_describe(
    invocation_id: InvocationId,
    admin_url: AdminUrl = None,
    as_json: JsonOpt = False,
) -> None:
    """One invocation: its journal with times, retries and errors inline (each with Restate's error code)."""
    from restate_play.commands.invocations import describe_invocation

    describe_invocation(invocation_id=invocation_id, admin_url=admin_url, as_json=as_json)


def _control(action: str, doc: str):
    @inv_app.command(action, help=doc)
    @_friendly
    def command(
        invocation_id: InvocationId,
        admin_url: AdminUrl = None,
    ) -> None:
        from restate_play.commands.invocations import control_invocation

        control_invocation(invocation_id, action, admin_url)

    return command


for _action, _doc in (
    ("cancel", "Cancel an invocation: it stops at its next await and runs its compensations."),
    ("kill", "Kill an invocation at once, without compensations."),
    ("purge", "Forget a completed invocation (its journal and result)."),
):
    _control(_action, _doc)

PinDeploymentOpt = Annotated[
    str | None,
    typer.Option("--deployment", help="latest (the newest: your fix), keep, or a deployment id (dp_…)."),
]


@inv_app.command("resume")
@_friendly
def invocations_resume(
    invocation_id: InvocationId,
    deployment: PinDeploymentOpt = None,
    admin_url: AdminUrl = None,
    as_json: JsonOpt = False,
) -> None:
    """Resume a paused, suspended or backing-off invocation now; with --deployment latest, on your fixed code.

    Its journal is kept: steps already done are not run again.

    Example: restate-play invocations resume inv_1ab --deployment latest
    """
    from restate_play.commands.fix_forward import resume_invocation

    resume_invocation(invocation_id, deployment, admin_url, as_json)


@inv_app.command("restart")
@_friendly
def invocations_restart(
    invocation_id: InvocationId,
    start_from: Annotated[
        str,
        typer.Option(
            "--from",
            help='The first entry to run again: a step name ("Book hotel", "Book hotel#2" for its second '
            "occurrence) or a journal index; entries before it are kept. 0 starts over.",
        ),
    ] = "0",
    deployment: PinDeploymentOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what is kept, what runs again and the traps; start nothing.")
    ] = False,
    attach: Annotated[
        bool, typer.Option("--attach", help="Wait for the new invocation and show its journal, kept entries marked.")
    ] = False,
    admin_url: AdminUrl = None,
    as_json: JsonOpt = False,
) -> None:
    """Start a completed invocation again as a new one (restart-as-new), keeping its journal before --from.

    Prints the new invocation id. Warns when a kept step was later undone by a compensation.

    Examples: restate-play invocations restart inv_1ab --from "Book hotel" --dry-run ·
    restate-play invocations restart inv_1ab --from 5 --attach
    """
    from restate_play.commands.fix_forward import restart_invocation

    restart_invocation(invocation_id, start_from, deployment, dry_run, attach, admin_url, as_json)


@app.command("fix-demo")
@_friendly
def fix_demo_command(
    as_json: JsonOpt = False,
    plain: Annotated[bool, typer.Option("--plain", help="Plain lines, no colours.")] = False,
) -> None:
    """Narrated fix forward: a bug pauses a saga; the fix is deployed beside it; the trip resumes on it.

    Then a trip that compensated, and why restarting it from "Book hotel" would be a trap.
    Checked with the world ledger and the journals; exit code 0 when every check held.

    Example: restate-play fix-demo --plain
    """
    from restate_play.commands.common import output_mode, print_json
    from restate_play.commands.fix_demo import fix_demo, print_summary

    mode, out, status = output_mode(as_json, plain)
    if as_json:
        from io import StringIO

        from rich.console import Console

        out = Console(file=StringIO())  # the narration is dropped: the result goes to stdout as JSON
    demo = fix_demo(out, status)
    if as_json:
        print_json(demo.to_dict())
    else:
        print_summary(demo, out)
    raise typer.Exit(0 if demo.passed else 1)


@app.command("crash-demo")
@_friendly
def crash_demo_command(
    pattern: Annotated[
        str | None,
        typer.Argument(help=TARGET_HELP + " Default: sagas; a directory: its crash.toml."),
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help='Crash right after this journal entry is recorded, e.g. "Book flight".')
    ] = None,
    target: Annotated[
        str,
        typer.Option(
            "--target",
            help="What to SIGKILL: service, server, or leader (the invocation's partition leader; with --nodes 3).",
        ),
    ] = "service",
    as_json: JsonOpt = False,
    plain: Annotated[bool, typer.Option("--plain", help="Plain lines instead of the live dashboard.")] = False,
    record: RecordOpt = None,
    nodes: NodesOpt = 1,
    call: Annotated[
        str | None,
        typer.Option(
            "--call", help="Your own request instead of the crash scenario: Service/handler or Object/key/handler."
        ),
    ] = None,
    body: Annotated[str | None, typer.Option("--body", help="With --call: its JSON body, or @file.json.")] = None,
    service_cmd: ServiceCmdOpt = None,
    deployment: DeploymentOpt = None,
    watch: WatchOpt = False,
) -> None:
    """Narrated crash: SIGKILL mid-invocation, watch Restate retry, restart, and see the journal replay.

    Shows which steps were replayed from the journal and which ran anew, and proves with the world
    ledger that completed steps did not run again.

    \b
    restate-play crash-demo                                   the sagas pattern, killed after 'Book car'
    restate-play crash-demo . --watch                         your project's crash.toml, again on every save
    restate-play crash-demo . --call BookingWorkflow/run --body @trip.json --at "Book car"
    """
    from restate_play.commands.common import output_mode, print_json
    from restate_play.commands.crash_demo import crash_demo, print_report
    from restate_play.sandbox.target import resolve_any

    mode, out, status = output_mode(as_json, plain)
    code = resolve_any(pattern, service_cmd, deployment) if pattern or service_cmd or deployment else None
    request = (call, body) if call else None
    if body and not call:
        raise PlayError(
            "--body goes with --call.", 'For example --call BookingWorkflow/run --body @trip.json --at "Book car"'
        )

    def play():
        return crash_demo(code, at, target, mode, out, status=status, record=record, nodes=nodes, request=request)

    def show(outcome) -> None:
        result, report = outcome
        if as_json:
            print_json({**result.to_dict(), "replay": report.to_dict() if report else None})
        else:
            print_report(result, report, out)

    if watch:  # until Ctrl-C: each save plays the crash demo again on a fresh sandbox
        from restate_play.commands.watch import watch_runs

        watch_runs(code or "sagas", play, show, as_json, status)
    outcome = play()
    show(outcome)
    raise typer.Exit(0 if outcome[0].passed else 1)


@app.command("report")
@_friendly
def report_command(
    directory: Annotated[Path, typer.Argument(help="A directory written by `--record` (or its run.json).")],
    svg: Annotated[bool, typer.Option("--svg", help="The path of the final screen (run.svg) instead.")] = False,
    open_it: Annotated[bool, typer.Option("--open", help="Open it in the default browser too.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """The report of a recorded run: redraws report.html from run.json and prints its path.

    \b
    restate-play run sagas --record out/ && restate-play report out/ --open
    restate-play report out/ --svg          the final screen, for a README or a slide
    """
    from restate_play.commands.report import show_report

    show_report(directory, svg, open_it, as_json)


@inv_app.command("timeline")
@_friendly
def invocations_timeline(
    invocation_id: InvocationId,
    admin_url: AdminUrl = None,
    as_json: JsonOpt = False,
) -> None:
    """One invocation's journal on a time axis: a bar per command, ✕ where an attempt failed and was retried.

    \b
    restate-play invocations timeline inv_1ab            against the running serve (or --admin-url)
    """
    from restate_play.commands.invocation_timeline import show_timeline

    show_timeline(invocation_id, admin_url, as_json)


@app.command()
@_friendly
def chaos(
    pattern: Annotated[
        str | None,
        typer.Argument(
            help="A pattern slug (`restate-play list` marks those with chaos traffic), or your code as for `run` "
            "(a directory, file or module:attr): then its scenario's requests are the traffic."
        ),
    ] = None,
    requests: Annotated[int, typer.Option("--requests", help="How many requests to send.")] = 300,
    concurrency: Annotated[int, typer.Option("--concurrency", help="Requests in flight at once.")] = 16,
    kills: Annotated[int, typer.Option("--kills", help="How many SIGKILLs during the traffic.")] = 10,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same traffic and kill points.")] = 7,
    target: Annotated[
        str, typer.Option("--target", help="What to kill: service, server, both, or nodes (with --nodes 3).")
    ] = "both",
    no_idempotency: Annotated[
        bool, typer.Option("--no-idempotency", help="Send without idempotency keys, to watch an invariant break.")
    ] = False,
    time_scale: Annotated[float, typer.Option("--time-scale", help="Scale the pattern's waits.")] = 0.02,
    as_json: JsonOpt = False,
    nodes: NodesOpt = 1,
    beyond_quorum: Annotated[
        bool,
        typer.Option(
            "--beyond-quorum",
            help="With --target nodes: also kill a majority at once (requests wait until it is back; none is lost).",
        ),
    ] = False,
    scenario: Annotated[
        str | None,
        typer.Option("--scenario", "-s", help="Your code: the scenario whose call/send steps are the traffic."),
    ] = None,
    service_cmd: ServiceCmdOpt = None,
    deployment: DeploymentOpt = None,
) -> None:
    """Concurrent traffic plus random SIGKILLs of the service and the server, then the pattern's invariants.

    On your own code (a directory, file, module:attr, --service-cmd or --deployment), the traffic is its
    scenario's call and send steps in turn ({i} = the request's number), and the invariants are those
    every service keeps: every request answered with the status its step expects, one invocation per
    idempotency key, nothing left running or paused. Exit code 0 when every invariant held, 1 when one
    was violated.

    \b
    restate-play chaos sagas --requests 100 --kills 5 --seed 1
    restate-play chaos . --scenario traffic.toml --requests 100 --kills 5 --seed 1
    """
    from restate_play.commands.chaos import print_chaos, run_chaos
    from restate_play.commands.common import print_json, stderr_console, stdout_console
    from restate_play.sandbox.target import PatternTarget, resolve_any

    err = stderr_console()
    code = resolve_any(pattern, service_cmd, deployment)
    if not isinstance(code, PatternTarget) or scenario is not None:  # the scenario's requests are the traffic
        from restate_play.commands.chaos_user import run_user_chaos

        note, status = (lambda m: err.print(m)), (lambda m: err.print(f"[dim]{m}[/]"))
        args = (requests, concurrency, kills, seed, target, not no_idempotency, time_scale, note, status)
        report = run_user_chaos(code, scenario, *args)
        print_json(report) if as_json else print_chaos(report, stdout_console())
        raise typer.Exit(0 if report["passed"] else 1)
    report = run_chaos(
        code.pattern.slug,
        requests,
        concurrency,
        kills,
        seed,
        target,
        not no_idempotency,
        time_scale,
        note=lambda m: err.print(m),
        status=lambda m: err.print(f"[dim]{m}[/]"),
        nodes=nodes,
        beyond_quorum=beyond_quorum,
    )
    if as_json:
        print_json(report)
    else:
        print_chaos(report, stdout_console())
    raise typer.Exit(0 if report["passed"] else 1)


Target = Annotated[
    str, typer.Argument(help="`service` (the pattern's process), `server` (restate-server) or `node N` (a cluster's).")
]
NodeArg = Annotated[int | None, typer.Argument(help="With `node`: which node of the cluster (1, 2, 3…).")]
ServeUrl = Annotated[
    str | None,
    typer.Option(
        "--admin-url", help="The admin URL (or name, see `restate-play ps`) of the serve to act on, when several run."
    ),
]


@app.command()
@_friendly
def kill(target: Target, node: NodeArg = None, admin_url: ServeUrl = None, as_json: JsonOpt = False) -> None:
    """Crash the running `serve` sandbox's service or server with SIGKILL (from another shell).

    \b
    restate-play kill service
    restate-play kill node 2      one machine of `serve … --nodes 3`
    """
    from restate_play.commands.control import send_control

    send_control("kill", target, as_json, admin_url, node=node)


@app.command()
@_friendly
def restart(target: Target, node: NodeArg = None, admin_url: ServeUrl = None, as_json: JsonOpt = False) -> None:
    """Restart the running `serve` sandbox's service (same port), server or node (same data); resume stuck work."""
    from restate_play.commands.control import send_control

    send_control("restart", target, as_json, admin_url, node=node)


cluster_app = typer.Typer(
    help="A Restate cluster (`serve … --nodes 3`): nodes, leaders, sequencers.", no_args_is_help=True
)
app.add_typer(cluster_app, name="cluster")


@cluster_app.command("status")
@_friendly
def cluster_status(
    admin_url: AdminUrl = None,
    address: Annotated[
        list[str] | None,
        typer.Option("--address", help="A node's node-to-node (fabric) address, e.g. http://127.0.0.1:5122 (repeat)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Nodes (roles, alive or dead), partition leaders and log sequencers, read with restatectl.

    \b
    restate-play cluster status                      the running serve's cluster (or one server)
    restate-play cluster status --admin-url http://127.0.0.1:9070
    restate-play cluster status --address http://10.0.0.5:5122 --json
    """
    from restate_play.commands.cluster import show_status

    show_status(admin_url, address, as_json)


@app.command()
@_friendly
def ps(as_json: JsonOpt = False) -> None:
    """What runs: each `serve` (and `run` in progress) with its name, pattern, ports, pid and age."""
    from restate_play.commands.ps import show_running

    show_running(as_json)


@db_app.command("sql")
@_friendly
def db_sql(
    query: Annotated[str, typer.Argument(help='One SQL statement, e.g. "SELECT * FROM users".')],
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="PostgreSQL URL (default: the running `serve database`'s database)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run one SQL statement on the database and show the result as a table.

    Errors (syntax, unknown table…) are reported and change nothing: each statement runs on its own.
    """
    from restate_play.commands.db import run_sql_command

    run_sql_command(query, database_url, as_json)


BootstrapOpt = Annotated[
    str | None,
    typer.Option("--bootstrap-server", help="Kafka HOST:PORT (default: the running `serve`'s broker, else 9092)."),
]


@kafka_app.command("publish")
@_friendly
def kafka_publish(
    topic: Annotated[str, typer.Argument(help="Topic, e.g. package-location-updates.")],
    records: Annotated[
        list[str] | None,
        typer.Argument(help='Records as key:json, e.g. \'package123:{"location": "Paris"}\' (none: read stdin lines).'),
    ] = None,
    bootstrap_server: BootstrapOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Publish keyed JSON records, like the documents' kafka-console-producer (key.separator=:).

    Prints each record's partition and offset. An invalid line stops with an error naming it;
    the records before it are published.
    """
    from restate_play.commands.kafka import publish

    publish(topic, records or [], bootstrap_server, as_json)


@kafka_app.command("tail")
@_friendly
def kafka_tail(
    topic: Annotated[str, typer.Argument(help="Topic to follow.")],
    from_beginning: Annotated[bool, typer.Option("--from-beginning", help="Start at the first record.")] = False,
    count: Annotated[int | None, typer.Option("--count", help="Stop after this many records.")] = None,
    bootstrap_server: BootstrapOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per record (JSON lines).")] = False,
) -> None:
    """Show a topic's records as they come (Ctrl-C stops)."""
    from restate_play.commands.kafka import tail_topic

    tail_topic(topic, bootstrap_server, from_beginning, count, as_json)


@kafka_app.command("topics")
@_friendly
def kafka_topics(bootstrap_server: BootstrapOpt = None, as_json: JsonOpt = False) -> None:
    """List the broker's topics with their partitions and record counts."""
    from restate_play.commands.kafka import show_topics

    show_topics(bootstrap_server, as_json)


@server_app.command("start")
@_friendly
def server_start(as_json: JsonOpt = False) -> None:
    """Start a shared restate-server in the background; `run` then uses it (fresh deployment, clean state)."""
    from restate_play.commands.server import server_start as start

    start(as_json)


@server_app.command("stop")
@_friendly
def server_stop(as_json: JsonOpt = False) -> None:
    """Stop the shared restate-server and remove its data."""
    from restate_play.commands.server import server_stop as stop

    stop(as_json)


@server_app.command("status")
@_friendly
def server_status(as_json: JsonOpt = False) -> None:
    """Is a shared restate-server running, and where."""
    from restate_play.commands.server import server_status as status

    status(as_json)


scenario_app = typer.Typer(
    help="The scenario format: its JSON Schema, a validator, and the actions with their fields (no sandbox).",
    no_args_is_help=True,
)
app.add_typer(scenario_app, name="scenario")


@scenario_app.command("schema")
@_friendly
def scenario_schema() -> None:
    """Print the JSON Schema of scenario files (also shipped as scenarios/scenario.schema.json).

    Start a scenario with `#:schema ./scenario.schema.json` and editors that follow taplo's directive
    (Even Better TOML) complete fields and underline mistakes as you type.
    """
    from restate_play.commands.scenario_cmd import print_schema

    print_schema()


@scenario_app.command("check")
@_friendly
def scenario_check(
    files: Annotated[list[Path], typer.Argument(help="Scenario files (.toml); chaos specs (.chaos.toml) too.")],
    as_json: JsonOpt = False,
) -> None:
    """Validate scenario files without starting anything: exit 0 when all are valid, 1 otherwise.

    Each problem names the file, the step, the field, what was expected and the nearest valid name.
    """
    from restate_play.commands.scenario_cmd import check_files

    check_files(files, as_json)


@scenario_app.command("actions")
@_friendly
def scenario_actions(
    action: Annotated[str | None, typer.Argument(help="One action, e.g. expect_ledger, with an example.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The actions a scenario step can take, each with its fields, types and defaults."""
    from restate_play.commands.scenario_cmd import print_actions

    print_actions(action, as_json)


@scenario_app.command("new")
@_friendly
def scenario_new(
    target: OptionalTargetArg = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to write it (default: TARGET's scenario.toml).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the file if it exists.")] = False,
    service_cmd: ServiceCmdOpt = None,
    deployment: DeploymentOpt = None,
) -> None:
    """Write a starting scenario from your services' handlers: one call each, to fill in.

    Starts TARGET on a sandbox (as `run` would), reads what it registered, stops it, and writes
    scenario.toml beside your code (with scenario.schema.json, for editors). Then `restate-play run .`.
    """
    from restate_play.commands.common import stderr_console
    from restate_play.commands.scenario_cmd import new_scenario
    from restate_play.sandbox.target import resolve_any

    err = stderr_console()
    path = new_scenario(
        resolve_any(target, service_cmd, deployment), output, force, lambda m: err.print(f"[dim]{m}[/]")
    )
    print(f"Wrote {path}: one call per handler. Fill in bodies and checks, then `restate-play run`.")


@scenario_app.command("reference")
@_friendly
def scenario_reference() -> None:
    """The whole scenario reference as Markdown (what docs/scenarios.md holds)."""
    from restate_play.commands.scenario_cmd import print_reference

    print_reference()


def _as_ctrl_c(_signum, frame) -> None:
    """SIGTERM and SIGHUP are handled as Ctrl-C is at that moment.

    Inside `asyncio.run`, the SIGINT handler is asyncio's: it cancels the main task, so the run
    unwinds at an await (every `finally`, every `async with` of httpx and anyio runs as written)
    and `asyncio.run` then raises KeyboardInterrupt. A KeyboardInterrupt raised straight from a
    signal handler lands between any two bytecodes instead, e.g. inside anyio's cancel-scope exit,
    and once broke the run's clean-up ("Attempted to exit a cancel scope…", exit 1 instead of 130).
    Outside asyncio it is Python's default handler, which raises KeyboardInterrupt.
    """
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signal.SIGINT, frame)
    else:
        raise KeyboardInterrupt


def main() -> None:
    # SIGTERM unwinds like Ctrl-C, so every `with Sandbox(...)` stops its children and frees ports.
    # SIGINT is re-armed: a shell that starts us in the background sets it to "ignore", and then
    # neither Ctrl-C nor `kill -INT` would stop the sandbox.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _as_ctrl_c)
    signal.signal(signal.SIGHUP, _as_ctrl_c)  # the terminal closed: clean up all the same
    app()


if __name__ == "__main__":
    main()
