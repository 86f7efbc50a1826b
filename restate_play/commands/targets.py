"""What `run`, `serve` and `crash-demo` share about a TARGET: resolving it, finding its scenario."""

from __future__ import annotations

from pathlib import Path

from restate_play.errors import PlayError
from restate_play.sandbox.target import DEFAULT_SCENARIO, PatternTarget, PythonTarget, Target, resolve

__all__ = ["PatternTarget", "PythonTarget", "Target", "resolve", "scenario_file", "code_line"]

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
    if scenario is not None:
        path = Path(scenario)
        if not path.is_file():
            raise PlayError(f"No scenario file {path.resolve()}.", "Pass --scenario with a path to a .toml file.")
        return path
    if target.scenario is not None:
        return target.scenario
    raise PlayError(
        f"{target.source} has no scenario to play: `run` needs one to know what to send and check.",
        f"Write {target.root / DEFAULT_SCENARIO} (or pass --scenario FILE), for example:\n{SCENARIO_EXAMPLE}\n"
        "`restate-play scenario actions` lists the steps; `restate-play scenario schema > scenario.schema.json` "
        "gives editors completion; `restate-play serve TARGET` serves it without one.",
    )


def code_line(target: Target) -> str:
    """Which code is served, for the status line and panels."""
    if isinstance(target, PythonTarget):
        return f"Serving {target.source} (your code)"
    line = f"Serving {target.source} (the installed restate-play)"
    slug = target.pattern.slug
    if Path(slug).is_dir():  # `new sagas` makes ./sagas: the bare slug stays the pattern
        line += f"; ./{slug} is a directory too: `./{slug}` names it"
    return line
