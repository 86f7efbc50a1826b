"""`restate-play kill|restart service|server`: crash or restart the sandbox of a running `serve`.

The `serve` process owns its children (it must reap them, and its supervisor must know a crash
was asked for), so the request goes to it: a small JSON file in its data directory plus SIGUSR1.
`serve` acts and answers in a response file.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from pathlib import Path

from restate_play.commands.common import RunningServe, pick_serve, print_json, stdout_console
from restate_play.errors import PlayError

TARGETS = ("service", "server", "node")


def request_path(data_dir: Path) -> Path:
    return data_dir / "control-request.json"


def response_path(data_dir: Path) -> Path:
    return data_dir / "control-response.json"


def _serve_or_fail(admin_url: str | None) -> RunningServe:
    serve = pick_serve(admin_url)  # --admin-url picks one of several; the request goes to its owner
    if serve is None:
        raise PlayError(
            "No running `restate-play serve` found (none registered, or its process has exited).",
            "Start one in another shell, e.g. `restate-play serve stateful-actors`, then try again.",
        )
    return serve


def send_control(
    action: str,
    target: str,
    as_json: bool,
    admin_url: str | None = None,
    timeout: float = 60.0,
    node: int | None = None,
) -> None:
    if target not in TARGETS:
        raise PlayError(
            f"Unknown target '{target}'.",
            "Use `service` (the pattern's process), `server` (restate-server) or `node N` (a cluster's node).",
        )
    if (target == "node") != (node is not None):
        raise PlayError("`node` takes the node's number, and only `node` does.", f"e.g. `restate-play {action} node 2`")
    serve = _serve_or_fail(admin_url)
    req_id = uuid.uuid4().hex
    tmp = request_path(serve.data_dir).with_suffix(".tmp")
    tmp.write_text(json.dumps({"id": req_id, "action": action, "target": target, "node": node}))
    tmp.replace(request_path(serve.data_dir))
    os.kill(serve.owner_pid, signal.SIGUSR1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            answer = json.loads(response_path(serve.data_dir).read_text())
        except (OSError, ValueError):
            answer = {}
        if answer.get("id") == req_id:
            break
        time.sleep(0.05)
    else:
        raise PlayError(f"`serve` (pid {serve.owner_pid}) did not answer within {timeout:.0f} s.")
    if as_json:
        print_json(answer)
    elif answer.get("ok"):
        stdout_console().print(answer["message"], soft_wrap=True)  # it ends with a command to copy
    if not answer.get("ok"):
        raise PlayError(answer.get("message", f"{action} {target} failed"))


def handle_request(sandbox, data_dir: Path, flag: str = "") -> str | None:
    """Serve side: act on a pending request; returns a line for serve's log, or None.

    `flag` (e.g. ` --admin-url http://127.0.0.1:29070`) ends the commands it suggests, so they reach
    this serve when others run beside it."""
    try:
        req = json.loads(request_path(data_dir).read_text())
        request_path(data_dir).unlink()
    except (OSError, ValueError):
        return None
    action, target = req.get("action"), req.get("target")
    answer = {"id": req.get("id"), "action": action, "target": target, "ok": True}
    started = time.monotonic()
    try:
        if target == "node":
            answer["message"] = _node_action(sandbox, action, int(req.get("node") or 0), flag)
        elif action == "kill":
            pid = sandbox.service.pid if target == "service" else sandbox.server.pid
            (sandbox.kill_service if target == "service" else sandbox.kill_server)()
            answer["message"] = (
                f"💥 {target} killed with SIGKILL (pid {pid}); `restate-play restart {target}{flag}` brings it back"
            )
        elif action == "restart":
            took = (sandbox.restart_service if target == "service" else sandbox.restart_server)()
            pid = sandbox.service.pid if target == "service" else sandbox.server.pid
            answer["message"] = f"♻ {target} restarted in {took:.2f} s (pid {pid}); stuck invocations resumed"
            answer["took"] = took
        else:
            raise PlayError(f"unknown action {action!r}")
    except PlayError as err:
        answer.update(ok=False, message=str(err))
    answer["elapsed"] = time.monotonic() - started
    tmp = response_path(data_dir).with_suffix(".tmp")
    tmp.write_text(json.dumps(answer))
    tmp.replace(response_path(data_dir))
    return answer["message"]


def _node_action(sandbox, action: str, number: int, flag: str) -> str:
    """kill/restart one node of a cluster sandbox (`serve --nodes 3`)."""
    if action == "kill":
        pid = sandbox.kill_node(number)
        return (
            f"💥 node {number} killed with SIGKILL (pid {pid}); the others carry on. "
            f"`restate-play cluster status{flag}` shows it, `restate-play restart node {number}{flag}` brings it back"
        )
    if action == "restart":
        took = sandbox.restart_node(number)
        return f"♻ node {number} restarted in {took:.2f} s on its own data; it rejoins the cluster"
    raise PlayError(f"unknown action {action!r}")
