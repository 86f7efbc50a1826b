"""Shared bits of the commands: consoles, which running `serve` to act on, admin URL resolution."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from restate_play.errors import PlayError
from restate_play.sandbox import registry
from restate_play.sandbox.registry import Record

if TYPE_CHECKING:  # imported when a console is made: `state get --json` and friends never load rich
    from rich.console import Console

DEFAULT_ADMIN_URL = "http://127.0.0.1:9070"
DEFAULT_INGRESS_URL = "http://127.0.0.1:8080"


def stdout_console(plain: bool = False) -> Console:
    from rich.console import Console

    # Non-TTY output (pipes, CI) is plain lines: no colours, no live redraws.
    return Console(
        no_color=plain or None, force_terminal=None if not plain else False, highlight=False, soft_wrap=plain
    )


def stderr_console() -> Console:
    from rich.console import Console

    # Errors, hints and status lines carry commands and paths to copy: the terminal wraps them, never rich.
    return Console(stderr=True, highlight=False, soft_wrap=True)


def output_mode(as_json: bool, plain: bool) -> tuple[str, Console, Callable[[str], None]]:
    """How a run is shown: 'json', 'live' (a TTY) or 'plain'; the console; a status line printer."""
    live = not as_json and not plain and sys.stdout.isatty()
    mode = "json" if as_json else ("live" if live else "plain")
    err = stderr_console()
    return mode, stdout_console(plain=mode == "plain"), lambda message: err.print(f"[dim]{message}[/]")


class RunningServe(NamedTuple):
    pattern: str
    admin_url: str
    ingress_url: str
    data_dir: Path
    owner_pid: int
    server_pid: int | None
    service_pid: int | None
    raw: dict  # the sandbox's state file (`Sandbox.describe()`): components, client ports…
    name: str = ""
    record: Record | None = None

    @property
    def state_file(self) -> Path:
        return self.data_dir / "sandbox.json"


def _as_serve(record: Record) -> RunningServe:
    try:
        raw = json.loads(Path(record.state_file).read_text())
    except (OSError, ValueError):
        raw = {}  # between a restart's stop and its new state file: the record still holds the ports
    pids = record.live_pids()
    return RunningServe(
        pattern=record.pattern,
        admin_url=record.admin_url,
        ingress_url=record.ingress_url,
        data_dir=Path(record.data_dir),
        owner_pid=record.owner_pid,
        server_pid=pids.get("server"),
        service_pid=pids.get("service"),
        raw=raw,
        name=record.name,
        record=record,
    )


def running_serves(having: str | None = None) -> list[RunningServe]:
    """The `restate-play serve`s running on this machine, oldest first (stale records cleaned)."""
    serves = [_as_serve(r) for r in registry.records("serve")]
    return [s for s in serves if having is None or (s.raw.get("components") or {}).get(having)]


def normalize_url(url: str) -> str:
    """`localhost:9070` is taken as `http://localhost:9070` (httpx wants a scheme); no trailing slash."""
    url = url.strip().rstrip("/")
    return url if "://" in url else f"http://{url}"


def _is_name(value: str) -> bool:
    return ":" not in value and "/" not in value


def listing(serves: list[RunningServe]) -> str:
    """The serves as lines of a message, within 80 columns: name (pattern, when the name is not
    just the slug), ports, pid."""
    names = [s.name if s.name == s.pattern else f"{s.name} ({s.pattern})" for s in serves]
    width = max(map(len, names), default=0)
    lines = []
    for name, s in zip(names, serves, strict=True):
        ports = s.record.ports if s.record else {}
        lines.append(
            f"  {name:<{width}}  ingress {ports.get('ingress', '?')}  admin {ports.get('admin', '?')}  "
            f"pid {s.owner_pid}"
        )
    return "\n".join(lines)


def _unknown(admin_url: str, serves: list[RunningServe]) -> PlayError:
    running = f"Running now:\n{listing(serves)}" if serves else "No `restate-play serve` runs now."
    return PlayError(
        f"No running `restate-play serve` has the admin URL or name '{admin_url}'. {running}",
        "`restate-play ps` lists them; pass one of their admin URLs (http://127.0.0.1:PORT) or names.",
    )


def pick_serve(
    admin_url: str | None = None,
    having: str | None = None,
    flag: str = "--admin-url",
    value: Callable[[RunningServe], str] | None = None,
) -> RunningServe | None:
    """The serve to act on: the one named by --admin-url (its admin URL or name), else the only one
    running (with `having`, e.g. kafka: the only one with that part), else None when none runs.
    Several and no choice is an error that lists them and says which flag picks one."""
    if admin_url:
        serves = running_serves()
        if _is_name(admin_url):  # a name, or a bare admin port
            match = [s for s in serves if admin_url in (s.name, str(s.record.ports.get("admin") if s.record else ""))]
        else:
            port = urlsplit(normalize_url(admin_url)).port
            match = [s for s in serves if s.record and s.record.ports.get("admin") == port]
        if match:
            return match[0]
        raise _unknown(admin_url, serves)
    serves = running_serves(having)
    if len(serves) <= 1:
        return serves[0] if serves else None
    newest = serves[-1]
    example = f"{flag} {value(newest)}" if value else f"{flag} {newest.admin_url}   or   {flag} {newest.name}"
    what = f" with {having}" if having else ""
    raise PlayError(
        f"{len(serves)} `restate-play serve`s{what} are running; say which one:\n{listing(serves)}",
        f"Pass {flag} with one of them (`restate-play ps` lists them), e.g.\n  {example}",
    )


def running_serve() -> RunningServe | None:
    """The only running `restate-play serve`, if one runs (an error when several run)."""
    return pick_serve()


def resolve_admin_url(explicit: str | None) -> str:
    """--admin-url (a URL, host:port, or a running serve's name), else $RESTATE_ADMIN_URL, else the
    only running serve's, else the documents' http://127.0.0.1:9070."""
    if explicit:
        if not _is_name(explicit):
            return normalize_url(explicit)
        record = registry.find(explicit)  # a serve's name, or a run's (see `ps`)
        if record is None:
            raise _unknown(explicit, running_serves())
        return record.admin_url
    if os.environ.get("RESTATE_ADMIN_URL"):
        return normalize_url(os.environ["RESTATE_ADMIN_URL"])
    serve = running_serve()
    return serve.admin_url if serve else DEFAULT_ADMIN_URL


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()
