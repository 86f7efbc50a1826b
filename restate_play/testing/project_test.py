"""The `test_app.py` every `restate-play new` project ships: its scenario's first request and its
crash demo, written as pytest tests against the `restate` fixture (a user's starting point)."""

from __future__ import annotations

import json
from pathlib import Path

from restate_play.patterns.catalog import Pattern
from restate_play.scenario.actions.control import Crash
from restate_play.scenario.actions.requests import Call, Send
from restate_play.scenario.model import Scenario, load

HEAD = '''"""{title}: app.py's services under test with restate-play's pytest plugin.

`python -m pytest` runs them on a real restate-server (no Docker).
Written from {sources}. The `restate` fixture's API
(call, send, crash_service, journal, state, ledger, …) is in restate-play's docs/testing.md.
"""

import pytest

from restate_play.testing import RestateCallError  # noqa: F401 - for the tests you add

# scenario.toml's world: the emulated providers' faults and latency, and its time scale.
ENV = {env}
pytestmark = pytest.mark.restate_app("app:app", env=ENV)'''

NO_REQUEST_TEST = '''def test_services_are_served(restate):
    """The services register with the server (add the requests your handlers take)."""
    assert restate.invocations() == []'''


def app_tests(pattern: Pattern, scenario_path: Path, crash_path: Path | None) -> str:
    scenario = load(scenario_path)
    crash = load(crash_path) if crash_path else None
    sources = "scenario.toml's first request" + (" and crash.toml's crash" if crash else "")
    parts = [HEAD.format(title=pattern.title, sources=sources, env=_env(pattern, scenario))]
    first = next((s for s in scenario.steps if _plain_request(s)), None)
    parts.append(_first_request_test(first) if first is not None else NO_REQUEST_TEST)
    if crash is not None:
        parts.append(_crash_test(pattern, crash))
    return "\n\n\n".join(parts).rstrip() + "\n"


def literal(value: object, level: int = 0) -> str:
    """A Python literal of a TOML value, one item a line when it does not fit (as a formatter would)."""
    if isinstance(value, str):  # double quotes, unless the text holds some (a JSON value)
        return repr(value) if '"' in value and "'" not in value else json.dumps(value, ensure_ascii=False)
    if not isinstance(value, dict | list) or not value:
        return repr(value)
    if isinstance(value, dict):
        items, opening, closing = [f"{literal(k)}: {literal(v, level + 1)}" for k, v in value.items()], "{", "}"
    else:
        items, opening, closing = [literal(v, level + 1) for v in value], "[", "]"
    flat = opening + ", ".join(items) + closing
    if len(flat) + 4 * level <= 90 and "\n" not in flat:
        return flat
    pad = "    " * (level + 1)
    return opening + "\n" + "".join(f"{pad}{item},\n" for item in items) + "    " * level + closing


def _env(pattern: Pattern, scenario: Scenario) -> str:
    """The scenario's world as the service's environment, exactly as `restate-play run` sets it."""
    from restate_play.commands.run import sandbox_options

    options = sandbox_options(pattern, scenario, None, None)
    return literal({**options.extra_env, "RESTATE_PLAY_TIME_SCALE": str(options.time_scale)})


def _plain_request(step: object) -> bool:
    # A background request waits on later steps (an awakeable, a signal): not a test of its own.
    if not isinstance(step, Call | Send) or step.background or step.via != "ingress" or step.body_json is not None:
        return False
    return "{" not in step.target and step.repeat == 1


def _request(step: Call | Send, body_name: str) -> str:
    """The fixture call that sends the step's request (its body in the constant `body_name`)."""
    args = literal(step.target) + ("" if step.body is None else f", json={body_name}")
    args += f", idempotency_key={literal(step.idempotency_key)}" if step.idempotency_key else ""
    return f"restate.send({args})" if isinstance(step, Send) else f"restate.call({args}, timeout=60)"


def _body(name: str, step: Call | Send) -> list[str]:
    return [] if step.body is None else [f"{name} = {literal(step.body)}", "", ""]


def _first_request_test(step: Call | Send) -> str:
    expect, call = step.expect, _request(step, "REQUEST")
    lines = [*_body("REQUEST", step), "def test_first_request(restate):"]
    lines.append('    """scenario.toml\'s first request, and the answer it expects."""')
    if expect is not None and expect.status is not None and expect.status >= 400:
        lines += ["    with pytest.raises(RestateCallError) as failed:", f"        {call}"]
        lines.append(f"    assert failed.value.status == {expect.status}")
        if expect.body_contains:
            lines.append(f"    assert {literal(expect.body_contains)} in failed.value.message")
        return "\n".join(lines)
    call += ".result(timeout=60)" if isinstance(step, Send) else ""
    if expect is not None and isinstance(step, Call) and expect.body is not None:
        lines += [f"    answer = {call}", f"    assert answer == {literal(expect.body, 1)}"]
    elif expect is not None and isinstance(step, Call) and expect.body_contains:
        lines += [f"    answer = {call}", f"    assert {literal(expect.body_contains)} in str(answer)"]
    else:
        lines.append(f"    {call}")
    lines.append(f'    assert restate.invocations({literal(step.target)})[0].status == "completed"')
    return "\n".join(lines)


def _crash_test(pattern: Pattern, crash: Scenario) -> str:
    step = next(s for s in crash.steps if isinstance(s, Crash) and s.after_entry)
    started = next(s for s in crash.steps if isinstance(s, Call | Send) and s.label == step.of)
    who, entry = step.of or "it", literal(step.after_entry)
    name = "".join(c if c.isalnum() else "_" for c in str(step.after_entry).lower()).strip("_")
    send = _request(started, "CRASH_REQUEST").replace("restate.call(", "restate.send(").replace(", timeout=60", "")
    lines = [f"CRASH_ENV = {_env(pattern, crash)}  # crash.toml's world", "", "", *_body("CRASH_REQUEST", started)]
    lines += [
        '@pytest.mark.restate_app("app:app", env=CRASH_ENV)',
        f"def test_survives_a_crash_after_{name}(restate):",
        f'    """crash.toml: SIGKILL the {step.crash} once {entry} is journaled; it completes all the same."""',
        f"    {who} = {send}",
        f"    restate.crash_{step.crash}(after_entry={entry}, of={who})",
        f"    {who}.result(timeout=60)",
        f"    assert restate.journal({who}).names().count({entry}) == 1  # replayed from the journal, not redone",
    ]
    return "\n".join(lines)
