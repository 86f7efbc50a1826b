"""What every scenario action is: a pydantic model of one `[[step]]` table, with its doc and behaviour.

An action is one class. Its fields are the step table's keys (types, defaults and a description
each: the description is what an error says was expected, and what an editor shows from the JSON
Schema). Its cross-field rules raise `problem(...)`. It either *plays* (does something to the
sandbox: `async play(run)`) or *checks* (an `Expectation`: `async observe(run)` gathers records,
`judge(records)` turns them into a `Verdict` with no I/O, so checks are unit-tested on plain data).
`@action` puts the class in `REGISTRY`, which drives loading, the runner, the reference and the schema.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from pydantic_core import PydanticCustomError

if TYPE_CHECKING:
    from restate_play.scenario.runner import ScenarioRunner

REGISTRY: dict[str, type[Action]] = {}

A = TypeVar("A", bound="type[Action]")
R = TypeVar("R")


def action(cls: A) -> A:
    """Register an action class under its `name` (the step table's key that selects it)."""
    if cls.name in REGISTRY:
        raise ValueError(f"two actions are named {cls.name!r}")
    REGISTRY[cls.name] = cls
    return cls


def problem(field: str, expected: str, got: Any = None) -> PydanticCustomError:
    """A cross-field rule broken: the loader reports it like a type error on `field`."""
    return PydanticCustomError("scenario_rule", "{expected}", {"field": field, "expected": expected, "got": got})


def Doc(description: str, default: Any = None, **kw: Any) -> Any:  # noqa: N802 (reads as a field declaration)
    """A field with a default and the description errors and editors show."""
    if "default_factory" in kw:
        return Field(description=description, **kw)
    return Field(default, description=description, **kw)


class Strict(BaseModel):
    """Scenario tables are typed TOML: no coercion ('5' is not 5, true is not 1), no unknown keys."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, frozen=True)


@dataclass(frozen=True)
class Verdict:
    """What an expectation concluded: the expectation in words, whether it held, what was seen."""

    expectation: str
    ok: bool
    observed: str


class Action(Strict):
    """One `[[step]]`: exactly one action key, plus its fields."""

    name: ClassVar[str]
    summary: ClassVar[str]  # one line, shown by `scenario actions` and the docs
    example: ClassVar[str] = ""  # a TOML snippet for the reference
    default_timeout: ClassVar[float | None] = None  # actions that wait have a bound

    say: str | None = Doc("Narration shown when the step starts.")
    _number: int = PrivateAttr(0)

    @property
    def number(self) -> int:
        return self._number

    @property
    def action(self) -> str:
        return self.name

    @property
    def requests(self) -> list[Any]:
        """The requests this step sends (call, send, parallel); none for the others."""
        return []

    def numbered(self, number: int) -> Action:
        self._number = number
        return self

    def bound(self, scenario_timeout: float | None) -> float:
        """The step's wait bound: its own `timeout`, else the scenario's, else the action's default."""
        own = getattr(self, "timeout", None)
        return float(own if own is not None else scenario_timeout or self.default_timeout or 30.0)

    # -- what the loader checks across steps -----------------------------------------------------
    def defines(self) -> list[str]:
        """Labels ('as') this step gives to invocations."""
        return []

    def refers(self) -> list[tuple[str, str]]:
        """(field, label) pairs: labels this step needs from an earlier step."""
        return []

    def templated(self) -> list[str]:
        """Strings in which `{name}` is a value captured from an earlier answer."""
        return []

    def captures(self) -> list[str]:
        return []

    def filled(self, fill: Callable[[str], str]) -> Action:
        """This step with captured values put into its templated strings."""
        return self

    async def play(self, run: ScenarioRunner) -> None:
        raise NotImplementedError


class Expectation(Action, Generic[R]):
    """A check: polled until it holds or its timeout runs out (expectations say where things settle)."""

    default_timeout: ClassVar[float | None] = 10.0
    reads_ledger: ClassVar[bool] = False  # judged on the world's ledger (see ScenarioRunner.settle)
    timeout: float | None = Doc(
        "Seconds to keep checking before the expectation fails (default 10; 0 checks once).", ge=0
    )

    async def observe(self, run: ScenarioRunner) -> R:
        raise NotImplementedError

    def judge(self, seen: R) -> Verdict:
        raise NotImplementedError

    async def play(self, run: ScenarioRunner) -> None:
        await run.settle(self)

    @property
    def args(self) -> BaseModel:
        """The action's table (`expect_state = { … }`)."""
        return getattr(self, self.name)
