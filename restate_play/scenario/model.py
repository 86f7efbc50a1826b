"""A scenario loaded from TOML: its world settings and its steps, one registered action each.

Errors name the file, the step, the field, what was expected and, for a misspelt name, the nearest
valid one. The actions themselves (fields, rules, docs) live in `scenario/actions/`.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator

from restate_play.errors import PlayError
from restate_play.scenario.actions import REGISTRY, Action
from restate_play.scenario.actions.base import Doc, Strict, problem
from restate_play.scenario.actions.requests import Expect, RequestFields
from restate_play.scenario.errors_text import explain

VAR_RE = re.compile(r"\{([A-Za-z_]\w*)\}")  # a value captured from an earlier answer, used in a target

Step = Action  # a step is its action
Request = RequestFields
__all__ = ["Expect", "Request", "Scenario", "ScenarioError", "Step", "load", "VAR_RE"]


class ScenarioError(PlayError):
    pass


class World(Strict):
    # Any, then checked: an integer is a count and a float a probability, so neither may become the other.
    faults: dict[str, Any] = Doc(
        "Fault point → how many times it fails (an integer) or the chance it fails (a float).", default_factory=dict
    )

    @field_validator("faults")
    @classmethod
    def _numbers(cls, faults: dict[str, Any]) -> dict[str, Any]:
        for point, value in faults.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise problem("faults", f"a count (integer) or a probability (float) for '{point}'", value)
        return faults

    latency: dict[str, float] = Doc("Point → seconds the emulated API takes to answer.", default_factory=dict)
    durations: dict[str, Annotated[float, Field(ge=0)]] = Doc(
        "A named wait of the pattern → seconds (pins it, whatever the time scale).", default_factory=dict
    )


class Header(Strict):
    """The scenario's own keys; `step` is checked step by step with the action registry."""

    title: str | None = Doc("What the scenario shows, in a line.")
    description: str = Doc("A paragraph on what happens and what it proves.", "")
    time_scale: float | None = Doc("Scale the pattern's waits (1.0 = the document's real durations).", gt=0)
    timeout: float | None = Doc("Default bound in seconds for every step that waits (steps may set their own).", gt=0)
    world: World = Doc("The emulated outside world: faults, latency, durations.", default_factory=World)
    env: dict[str, str | int | float | bool] = Doc(
        "Environment variables for the service process.", default_factory=dict
    )
    step: list[dict[str, Any]] = Field(description="At least one [[step]] table: the steps, in order.", min_length=1)


@dataclass
class Scenario:
    path: Path
    title: str
    description: str
    steps: list[Action]
    time_scale: float | None = None
    faults: dict[str, float] = field(default_factory=dict)
    latency: dict[str, float] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)  # [world.durations]: named waits pinned
    timeout: float | None = None  # the default bound of waiting steps

    @property
    def name(self) -> str:
        return self.path.stem


def _fail(path: Path, message: str, step: int | None = None, action: str | None = None) -> ScenarioError:
    where = path.name
    if step is not None:
        where += f": step {step}" + (f" ({action})" if action else "")
    return ScenarioError(f"{where}: {message}", f"Scenario file: {path}")


def nearest(name: str, valid: list[str] | tuple[str, ...]) -> str | None:
    found = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.6)
    return found[0] if found else None


def _action_of(path: Path, number: int, table: Any) -> str:
    """The one action key of a step table (`say` counts only alone)."""
    if not isinstance(table, dict):
        raise _fail(path, f"expected a table ([[step]]), got {table!r}.", number)
    actions = [key for key in table if key in REGISTRY and key != "say"]
    if not actions and "say" in table:
        actions = ["say"]
    if len(actions) == 1:
        return actions[0]
    names = ", ".join(REGISTRY)
    if actions:
        return _raise(path, number, f"exactly one action per step, got {' and '.join(actions)}.")
    guesses = [(key, nearest(key, list(REGISTRY))) for key in table]
    hint = next((f" '{key}' is not an action: did you mean '{g}'?" for key, g in guesses if g), "")
    return _raise(path, number, f"exactly one action per step, got none.{hint} Actions: {names}.")


def _raise(path: Path, number: int, message: str) -> str:
    raise _fail(path, message, number)


def _step(path: Path, number: int, table: Any) -> Action:
    name = _action_of(path, number, table)
    cls = REGISTRY[name]
    try:
        return cls.model_validate(table).numbered(number)
    except ValidationError as err:
        raise _fail(path, explain(err, cls, name), number, name) from None


def _check_references(path: Path, steps: list[Action]) -> None:
    """Labels must come from an earlier step, `{name}` from an earlier step's capture."""
    labels: set[str] = set()
    captured: set[str] = set()
    for step in steps:
        here = set(step.defines())
        for field_name, label in step.refers():
            later_or_none = label not in labels and not (field_name != "same_invocation_as" and label in here)
            if later_or_none:
                raise _fail(
                    path,
                    f"field '{field_name}': expected the label ('as') of a request in an earlier step, got {label!r}."
                    + _known(label, labels),
                    step.number,
                    step.action,
                )
        for name in (n for text in step.templated() for n in VAR_RE.findall(text)):
            if name not in captured:
                raise _fail(
                    path,
                    f"field '{{{name}}}': expected a value captured ('capture') by a request in an earlier step.",
                    step.number,
                    step.action,
                )
        labels |= here
        captured.update(step.captures())


def _known(label: str, labels: set[str]) -> str:
    if not labels:
        return " No earlier step has an 'as' label."
    guess = nearest(label, sorted(labels))
    return f" Did you mean '{guess}'?" if guess else f" Labels so far: {', '.join(sorted(labels))}."


def parse(path: Path, text: str) -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{path.name}: not valid TOML: {err}", f"Scenario file: {path}") from err
    try:
        header = Header.model_validate(data)
    except ValidationError as err:
        raise _fail(path, explain(err, Header, None)) from None
    steps = [_step(path, i, raw) for i, raw in enumerate(header.step, start=1)]
    _check_references(path, steps)
    return Scenario(
        path,
        header.title or path.stem,
        header.description,
        steps,
        header.time_scale,
        dict(header.world.faults),
        dict(header.world.latency),
        {str(k): str(v) for k, v in header.env.items()},
        durations=dict(header.world.durations),
        timeout=header.timeout,
    )


def load(path: Path) -> Scenario:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise ScenarioError(f"Scenario file {path} does not exist.") from err
    return parse(path, text)
