"""Shared bits of the commands: consoles, the running `serve` pointer, admin URL resolution."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from restate_play.paths import state_dir

DEFAULT_ADMIN_URL = "http://127.0.0.1:9070"
DEFAULT_INGRESS_URL = "http://127.0.0.1:8080"


def stdout_console(plain: bool = False) -> Console:
    # Non-TTY output (pipes, CI) is plain lines: no colours, no live redraws.
    return Console(
        no_color=plain or None, force_terminal=None if not plain else False, highlight=False, soft_wrap=plain
    )


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False)


def output_mode(as_json: bool, plain: bool) -> tuple[str, Console, Callable[[str], None]]:
    """How a run is shown: 'json', 'live' (a TTY) or 'plain'; the console; a status line printer."""
    live = not as_json and not plain and sys.stdout.isatty()
    mode = "json" if as_json else ("live" if live else "plain")
    err = stderr_console()
    return mode, stdout_console(plain=mode == "plain"), lambda message: err.print(f"[dim]{message}[/]")


def pointer_file() -> Path:
    return state_dir() / "serve.json"


@dataclass
class RunningServe:
    pattern: str
    admin_url: str
    ingress_url: str
    data_dir: Path
    owner_pid: int
    server_pid: int | None
    service_pid: int | None
    raw: dict

    @property
    def state_file(self) -> Path:
        return self.data_dir / "sandbox.json"


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_serve() -> RunningServe | None:
    """The sandbox of a `restate-play serve` running on this machine, if any (stale files ignored)."""
    try:
        pointer = json.loads(pointer_file().read_text())
        data = json.loads(Path(pointer["state_file"]).read_text())
    except (OSError, ValueError, KeyError):
        return None
    if not _alive(data.get("owner_pid")):
        return None
    host = data.get("host", "127.0.0.1")
    return RunningServe(
        pattern=data["pattern"],
        admin_url=f"http://{host}:{data['server']['admin']}",
        ingress_url=f"http://{host}:{data['server']['ingress']}",
        data_dir=Path(data["data_dir"]),
        owner_pid=data["owner_pid"],
        server_pid=data["server"].get("pid"),
        service_pid=data["service"].get("pid"),
        raw=data,
    )


def resolve_admin_url(explicit: str | None) -> str:
    if explicit:
        return explicit.rstrip("/")
    if os.environ.get("RESTATE_ADMIN_URL"):
        return os.environ["RESTATE_ADMIN_URL"].rstrip("/")
    serve = running_serve()
    return serve.admin_url if serve else DEFAULT_ADMIN_URL


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()
