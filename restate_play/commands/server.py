"""`restate-play server start|stop|status`: one restate-server kept up for repeated runs."""

from __future__ import annotations

import time
from dataclasses import asdict

from restate_play.commands.common import print_json, stderr_console, stdout_console
from restate_play.sandbox.shared_server import find_shared, start_shared, stop_shared


def server_start(as_json: bool) -> None:
    err = stderr_console()
    shared = start_shared(lambda m: err.print(f"[dim]{m}[/]"))
    if as_json:
        print_json({"running": True, **asdict(shared)})
        return
    stdout_console().print(
        f"restate-server running in the background (pid {shared.pid}): ingress {shared.ingress_url}, "
        f"admin {shared.admin_url}.\n`restate-play run <pattern>` now uses it (a fresh deployment and clean "
        "state per run); `restate-play server stop` stops it."
    )


def server_stop(as_json: bool) -> None:
    stopped = stop_shared()
    if as_json:
        print_json({"stopped": stopped is not None, "pid": stopped.pid if stopped else None})
        return
    out = stdout_console()
    if stopped is None:
        out.print("No shared restate-server is running.")
    else:
        out.print(f"Stopped the shared restate-server (pid {stopped.pid}); its data directory is removed.")


def server_status(as_json: bool) -> None:
    shared = find_shared()
    healthy = shared.healthy() if shared else False
    if as_json:
        print_json({"running": shared is not None, "healthy": healthy, **(asdict(shared) if shared else {})})
        return
    out = stdout_console()
    if shared is None:
        out.print("No shared restate-server is running. `restate-play server start` starts one.")
        return
    up = time.time() - shared.started_at
    state = "healthy" if healthy else "NOT answering"
    out.print(
        f"Shared restate-server pid {shared.pid}, {state}, up {up:.0f} s: "
        f"ingress {shared.ingress_url}, admin {shared.admin_url}"
    )
