"""`restate-play serve <pattern>`: the sandbox on the documents' ports, up until Ctrl-C."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

from rich.text import Text

from restate_play.commands.common import stderr_console, stdout_console
from restate_play.patterns.catalog import Pattern
from restate_play.sandbox import registry
from restate_play.sandbox.ports import retarget
from restate_play.sandbox.sandbox import Sandbox, SandboxOptions
from restate_play.sandbox.target import USER_CATEGORY, Target, as_target

# The documents' ports: their curl lines say localhost:8080 (ingress) and localhost:9070 (admin).
DOC_PORTS = {"ingress": 8080, "admin": 9070, "service": 9080}
DEFAULT_ADMIN_PORT = DOC_PORTS["admin"]


def local_curls(pattern: Pattern, ports: dict[str, int]) -> list[str]:
    """The document's curl lines with this sandbox's ports (`registry.ports_of`) in place of the documents'."""
    mapping = {doc: ports[name] for name, doc in DOC_PORTS.items() if name in ports}
    clients = [ports[name] for name in sorted(ports) if name.startswith("client")]
    mapping.update(zip(pattern.client_ports, clients, strict=False))
    return [retarget(line, mapping) for line in pattern.curls]


def serve_pattern(
    slug: str | Target,
    ingress_port: int,
    admin_port: int,
    service_port: int,
    fabric_port: int,
    client_ports: tuple[int, ...] | None,
    data_dir: Path | None,
    time_scale: float,
    kafka_port: int = 9092,
    kafka_bootstrap: str | None = None,
    database_url: str | None = None,
    db_port: int = 5432,
    watch: bool = False,
    nodes: int = 1,
) -> None:
    target = as_target(slug)  # a pattern; the user's directory, file, module:attr, command or deployment
    pattern = target.pattern
    out, err = stdout_console(), stderr_console()
    options = SandboxOptions(
        ingress_port=ingress_port,
        admin_port=admin_port,
        fabric_port=fabric_port,
        service_port=service_port,
        client_ports=client_ports,
        data_dir=data_dir,
        time_scale=time_scale,
        extra_env=dict(pattern.serve_env),
        supervise=True,
        nodes=nodes,  # more than 1: a cluster; node 1 on the ports above, the others on free ones
    )
    if "kafka" in pattern.needs:
        # The document's broker port. Subscriptions stay the user's step 5 (a curl line): a second,
        # identical subscription would make Restate deliver every record twice.
        kafka = {"kafka_port": str(kafka_port), "kafka_bootstrap": kafka_bootstrap or "", "kafka_subscribe": "no"}
        options.component_options.update(kafka)
    if "postgres" in pattern.needs:  # the document's database port, or an existing database
        options.component_options.update({"postgres_port": str(db_port), "database_url": database_url or ""})
    with (
        Sandbox(pattern, options, status=lambda m: err.print(f"[dim]{m}[/]"), target=target) as sb,
        registry.registered("serve", sb.describe()) as record,  # removed on every way out
    ):
        beside = [r for r in registry.records("serve") if r.owner_pid != record.owner_pid]
        # Beside other serves, or off the documents' ports, the commands it suggests name this one.
        flag = f" --admin-url {sb.admin_url}" if beside or admin_port != DEFAULT_ADMIN_PORT else ""
        changes = None
        if watch:  # watching before the banner says it is ready: no save after that is missed
            from restate_play.commands.watch import Changes, serve_reloading

            changes = Changes(sb.target.root)
        _banner(out, sb, record.name, flag, beside)
        if changes is not None:
            serve_reloading(out, sb, lambda: _follow_log(out, sb, flag), changes)
        else:
            _follow_log(out, sb, flag)


def _banner(out, sb: Sandbox, name: str, flag: str, beside: list[registry.Record]) -> None:
    """What runs where, then the commands to type. No box: a command copied from the screen must be
    the command and nothing else, so each is one line, left to the terminal to wrap (soft_wrap)."""
    p = sb.pattern
    out.rule(Text(f"serve · {p.slug} · name: {name}", style="bold green"), align="left", style="green")
    info, commands = _where(sb, flag)
    out.print(info, soft_wrap=True)
    curls = local_curls(p, registry.ports_of(sb.describe()))
    if curls:
        out.print(Text("\nTry these (the source document's requests, or equivalents where it has none):", style="bold"))
        _commands(out, curls)
    out.print(Text("\nFrom another shell:", style="bold"))
    _commands(out, commands)
    if beside:
        others = ", ".join(f"{r.name} (admin {r.ports.get('admin')})" for r in beside)
        out.print(Text(f"Running beside: {others}. `restate-play ps` lists them.", style="dim"), soft_wrap=True)
    out.print(Text("Ctrl-C stops everything.", style="dim"))
    out.rule(style="green")


def _where(sb: Sandbox, flag: str) -> tuple[Text, list[str]]:
    """The addresses of the sandbox's parts, and the commands that reach them from another shell."""
    assert sb.service
    info = Text()
    commands = [
        f"restate-play invocations list{flag}",
        f"restate-play state get <service> <key>{flag}",
        f"restate-play kill service{flag}",
    ]
    info.append(f"{sb.pattern.title}\n", style="bold")
    info.append(f"ingress  {sb.ingress_url}\nadmin    {sb.admin_url}  (web UI: {sb.admin_url}/ui/)\n")
    for node in (sb.describe().get("nodes") or [])[1:]:  # a cluster: node 1 is above
        info.append(f"node {node['node']}   ingress :{node['ingress']}, admin :{node['admin']} (pid {node['pid']})\n")
    if sb.describe().get("nodes"):
        commands += [f"restate-play cluster status{flag}", f"restate-play kill node 2{flag}"]
    if sb.service.pid is None:  # --deployment: the user's own process
        commands.remove(f"restate-play kill service{flag}")
        info.append(f"service  {sb.service.url}  (yours: restate-play did not start it)\n")
    else:
        info.append(f"service  {sb.service.url}  (pid {sb.service.pid})\n")
    info.append(f"code     {sb.target.source}\n")
    if sb.pattern.category == USER_CATEGORY:  # what the user's code turned out to hold
        info.append(f"services {', '.join(sb.pattern.services)}\n")
    for component in sb.components:
        if component.name == "kafka":
            kafka = component.describe()
            info.append(f"kafka    {kafka['bootstrap']}  (cluster {kafka['cluster']})\n")
            for sub in kafka["subscriptions"]:
                info.append(f"         subscribed: {sub['source']} → {sub['sink']}\n", style="dim")
            if not kafka["subscriptions"]:
                info.append(
                    "         Restate is not subscribed yet: the first curl line below is the document's step 5.\n",
                    style="yellow",
                )
            broker = f" --bootstrap-server {kafka['bootstrap']}" if flag else ""
            commands += [
                f"restate-play kafka publish <topic> 'key:json'{broker}",
                f"restate-play kafka tail <topic>{broker}",
            ]
        if component.name == "postgres":
            url = component.describe()["url"]
            info.append(f"database {url}\n")
            commands.append('restate-play db sql "SELECT * FROM users"' + (f" --database-url {url}" if flag else ""))
    for port in sb.service.client_ports:
        info.append(f"client   http://127.0.0.1:{port}\n")
    info.append(f"data     {sb.data_dir}\n", style="dim")
    info.append(f"ready in {sb.timings.ready:.2f} s", style="dim")
    return info, commands


def _commands(out, lines: list[str]) -> None:
    for line in lines:  # one print each: one logical line, never broken by rich
        out.print(Text(line, style="cyan"), soft_wrap=True)


def _follow_log(out, sb: Sandbox, flag: str = "") -> None:
    """Print the service's log as it grows, like the documents' service terminal.

    Also the place where `restate-play kill|restart` requests from other shells are carried out
    (they arrive as SIGUSR1 plus a request file: see commands/control.py).
    """
    from restate_play.commands.control import handle_request

    assert sb.service
    pending = threading.Event()
    signal.signal(signal.SIGUSR1, lambda *_: pending.set())
    offset = 0
    path = sb.service.log_path  # the service log is appended to across restarts
    while True:
        if pending.is_set():
            pending.clear()
            message = handle_request(sb, sb.data_dir, flag)
            if message:
                out.print(Text(message, style="bold yellow"), soft_wrap=True)
        try:
            with open(path, "rb") as f:
                f.seek(offset)
                chunk = f.read()
        except FileNotFoundError:
            chunk = b""
        # Only whole lines: a read can land in the middle of a write, and half a line printed now
        # and the rest on the next turn would show as two lines (or split a UTF-8 character).
        complete = chunk[: chunk.rfind(b"\n") + 1]
        if complete:
            offset += len(complete)
            for line in complete.decode("utf-8", "replace").splitlines():
                out.print(Text(f"│ {line}", style="dim"), highlight=False)
        time.sleep(0.2)
