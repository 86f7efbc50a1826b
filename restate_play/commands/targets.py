"""What `run`, `serve` and `crash-demo` share about a TARGET: resolving it, finding its scenario."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from restate_play.errors import PlayError
from restate_play.sandbox.target import (
    DEFAULT_SCENARIO,
    CommandTarget,
    DeploymentTarget,
    PatternTarget,
    PythonTarget,
    Target,
    as_target,
    resolve,
    resolve_any,
)

if TYPE_CHECKING:
    from restate_play.scenario.model import Scenario

__all__ = ["PatternTarget", "PythonTarget", "Target", "as_target", "resolve", "resolve_any", "scenario_file"]
__all__ += ["code_line", "refuse_crashes"]

SCENARIO_EXAMPLE = """#:schema ./scenario.schema.json
title = "What my service promises"

[[step]]
call = "MyService/myHandler"
body = { name = "Ada" }
expect = { status = 200, body_contains = "Ada" }"""


def scenario_file(target: Target, scenario: str | None) -> Path:
    """The scenario to play: --scenario, else the pattern's default or the directory's scenario.toml."""
    from restate_play.commands.run import scenario_path

    if isinstance(target, PatternTarget):
        return scenario_path(target.pattern, scenario)
    base = getattr(target, "base", None)  # --service-cmd / --deployment with a pattern: its scenarios
    if base is not None:
        return scenario_path(base, scenario)
    if scenario is not None:
        path = Path(scenario)
        if not path.is_file():
            raise PlayError(f"No scenario file {path.resolve()}.", "Pass --scenario with a path to a .toml file.")
        return path
    if target.scenario is not None:
        return target.scenario
    raise PlayError(
        f"{target.source} has no scenario to play: `run` needs one to know what to send and check.",
        f"`restate-play scenario new {_spec(target)}` writes a start from your handlers. Or write "
        f"{target.root / DEFAULT_SCENARIO} (or pass --scenario FILE), for example:\n{SCENARIO_EXAMPLE}\n"
        "`restate-play scenario actions` lists the steps; `restate-play scenario schema > scenario.schema.json` "
        "gives editors completion; `restate-play serve TARGET` serves it without one.",
    )


def _spec(target: Target) -> str:
    if isinstance(target, CommandTarget):
        return f"--service-cmd '{target.command}'"
    if isinstance(target, DeploymentTarget):
        return f"--deployment {target.url}"
    return str(getattr(target, "spec", "."))


def refuse_crashes(target: Target, scenario: Scenario, path: Path) -> None:
    """--deployment: a scenario that kills or restarts the service is refused before anything starts."""
    if not isinstance(target, DeploymentTarget):
        return
    for n, step in enumerate(scenario.steps, 1):
        if step.action in ("crash", "restart") and step.target == "service":
            verb = "crashes (SIGKILL)" if step.action == "crash" else "restarts"
            raise PlayError(
                f'{path}: step {n} ({step.action} = "service") {verb} the service, but the service at '
                f"{target.url} is yours (--deployment): restate-play did not start it, so it cannot "
                f"{step.action} it.",
                "Let restate-play start it, with --service-cmd 'CMD' (it listens on $PORT), or play a scenario "
                'without crash and restart steps for the service (crash = "server" is fine).',
            )


def code_line(target: Target) -> str:
    """Which code is served, for the status line and panels."""
    if isinstance(target, PythonTarget | CommandTarget | DeploymentTarget):
        return f"Serving {target.source} (your code)"
    line = f"Serving {target.source} (the installed restate-play)"
    slug = target.pattern.slug
    if Path(slug).is_dir():  # `new sagas` makes ./sagas: the bare slug stays the pattern
        line += f"; ./{slug} is a directory too: `./{slug}` names it"
    return line
