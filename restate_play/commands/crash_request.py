"""`crash-demo --call TARGET --body JSON|@file --at ENTRY`: a crash demo for one request of the user's,
written as a scenario (so it is validated, played and reported as every other one)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from restate_play.errors import PlayError
from restate_play.scenario.model import Scenario, load

TEMPLATE = """title = "Crash demo: {call}, killed right after '{at}'"
description = \"\"\"
Written by `crash-demo --call`: the request runs in the background; the {part} is killed with
SIGKILL right after '{at}' is in its journal, and restarted {restart} s later. Restate retries,
the handler replays its journal, and the invocation completes.
\"\"\"

[[step]]
say = "Send the request (it runs in the background)"
call = {call_toml}
as = "request"
background = true
{body_line}
[[step]]
say = "SIGKILL right after '{at}' is in the journal; restart {restart} s later"
crash = "{part}"
after_entry = {at_toml}
of = "request"
restart_after = {restart}

[[step]]
say = "The invocation resumes and completes"
wait_for = "request"
timeout = 60

[[step]]
expect_invocation = {{ of = "request", status = "completed" }}
"""


def request_scenario(
    call: str, body: str | None, at: str | None, part: str, cwd: Path, restart: float = 1.5
) -> Scenario:
    """The scenario for --call/--body/--at, loaded (and so validated) from a file removed at once."""
    if not at:
        raise PlayError(
            "--call needs --at: the journal entry to crash right after.",
            'For example --at "Book car" (the name a ctx.run step has in the journal).',
        )
    text = TEMPLATE.format(
        call=call,
        at=at,
        part=part,
        restart=restart,
        call_toml=json.dumps(call),
        at_toml=json.dumps(at),
        body_line=_body_line(body, cwd),
    )
    with tempfile.TemporaryDirectory(prefix="restate-play-crash-") as where:
        path = Path(where) / "crash-request.toml"
        path.write_text(text, encoding="utf-8")
        return load(path)


def _body_line(body: str | None, cwd: Path) -> str:
    """`body_json = '…'` from JSON text or @file (as curl's -d @file), checked to be JSON."""
    if body is None:
        return ""
    text = body
    if body.startswith("@"):
        path = cwd / body[1:]
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise PlayError(
                f"--body {body}: cannot read {path}: {err.strerror}.", "Name a JSON file: --body @trip.json"
            ) from None
    try:
        compact = json.dumps(json.loads(text), ensure_ascii=False)
    except json.JSONDecodeError as err:
        raise PlayError(
            f"--body: not JSON ({err.msg} at line {err.lineno}, column {err.colno}).",
            "Give the request body as JSON, or as @file.json.",
        ) from None
    return f"body_json = {json.dumps(compact, ensure_ascii=False)}\n"
