"""`restate-play serve <pattern>`: the sandbox on the documents' ports, up until Ctrl-C."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

from rich.panel import Panel
from rich.text import Text

from restate_play.commands.common import pointer_file, stderr_console, stdout_console
from restate_play.errors import PlayError
from restate_play.patterns.catalog import get_pattern
from restate_play.sandbox.sandbox import Sandbox, SandboxOptions


def serve_pattern(
    slug: str,
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
) -> None:
    pattern = get_pattern(slug)
    if not pattern.available:
        raise PlayError(f"The pattern '{slug}' is not ported yet.", "See `restate-play list` for what runs today.")
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
    )
    if "kafka" in pattern.needs:
        # The document's broker port. Subscriptions stay the user's step 5 (a curl line): a second,
        # identical subscription would make Restate deliver every record twice.
        kafka = {"kafka_port": str(kafka_port), "kafka_bootstrap": kafka_bootstrap or "", "kafka_subscribe": "no"}
        options.component_options.update(kafka)
    if "postgres" in pattern.needs:  # the document's database port, or an existing database
        options.component_options.update({"postgres_port": str(db_port), "database_url": database_url or ""})
    with Sandbox(pattern, options, status=lambda m: err.print(f"[dim]{m}[/]")) as sb:
        pointer = pointer_file()
        pointer.parent.mkdir(parents=True, exist_ok=True)
        pointer.write_text(json.dumps({"state_file": str(sb.state_file)}))
        try:
            _banner(out, sb)
            _follow_log(out, sb)
        finally:
            try:
                if json.loads(pointer.read_text()).get("state_file") == str(sb.state_file):
                    pointer.unlink()
            except (OSError, ValueError):
                pass


def _banner(out, sb: Sandbox) -> None:
    p = sb.pattern
    assert sb.service
    lines = Text()
    lines.append(f"{p.title}\n", style="bold")
    lines.append(f"ingress  {sb.ingress_url}\nadmin    {sb.admin_url}  (web UI: {sb.admin_url}/ui/)\n")
    lines.append(f"service  {sb.service.url}  (pid {sb.service.pid})\n")
    for component in sb.components:
        if component.name == "kafka":
            kafka = component.describe()
            lines.append(f"kafka    {kafka['bootstrap']}  (cluster {kafka['cluster']})\n")
            for sub in kafka["subscriptions"]:
                lines.append(f"         subscribed: {sub['source']} → {sub['sink']}\n", style="dim")
            if not kafka["subscriptions"]:
                lines.append(
                    "         Restate is not subscribed yet: the first curl line below is the document's step 5.\n",
                    style="yellow",
                )
            lines.append("         publish: restate-play kafka publish <topic> 'key:json' · kafka tail <topic>\n")
    for component in sb.components:
        if component.name == "postgres":
            url = component.describe()["url"]
            lines.append(f"database {url}  (look inside: restate-play db sql \"SELECT * FROM users\")\n")
    for port in sb.service.client_ports:
        lines.append(f"client   http://127.0.0.1:{port}\n")
    lines.append(f"data     {sb.data_dir}\n", style="dim")
    lines.append(f"ready in {sb.timings.ready:.2f} s\n", style="dim")
    if p.curls:
        lines.append("\nTry these (the source document's requests, or equivalents where it has none):\n", style="bold")
        for curl in p.curls:
            lines.append(f"  {curl}\n", style="cyan")
    lines.append(
        "\nFrom another shell: restate-play invocations list · restate-play state get <service> <key>\n"
        "Ctrl-C stops everything.",
        style="dim",
    )
    out.print(Panel(lines, title=f"restate-play serve {p.slug}", border_style="green"))


def _follow_log(out, sb: Sandbox) -> None:
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
            message = handle_request(sb, sb.data_dir)
            if message:
                out.print(Text(message, style="bold yellow"))
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
