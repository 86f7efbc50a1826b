"""crash, restart, wait, wait_for, attach, resolve_awakeable, say: steps that drive the sandbox or the clock."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator

from restate_play.scenario.actions.base import Action, Doc, action, problem
from restate_play.scenario.actions.requests import Expect

if TYPE_CHECKING:
    from restate_play.scenario.runner import ScenarioRunner

Part = Literal["service", "server", "node"]
PART_DOC = "'service' (the pattern's process), 'server' (restate-server: every node of a cluster) or 'node' (one)"
LABEL_DOC = "The label ('as') of a request in an earlier step."


@action
class Say(Action):
    name: ClassVar[str] = "say"
    summary: ClassVar[str] = "Narration only: a line in the live view and the report."
    example: ClassVar[str] = 'say = "Now the hotel is fully booked"'
    say: str = Field(description="The line to show.")

    async def play(self, run: ScenarioRunner) -> None:
        return None


@action
class Crash(Action):
    name: ClassVar[str] = "crash"
    summary: ClassVar[str] = "SIGKILL the service or restate-server, optionally right after a journal entry."
    example: ClassVar[str] = 'crash = "service"\nafter_entry = "Book car"\nof = "trip"\nrestart_after = 0.5'
    default_timeout: ClassVar[float | None] = 30.0

    crash: Part = Field(description=PART_DOC)
    after_entry: str | None = Doc("Crash once this journal entry (a step name like 'Book car') is recorded.")
    of: str | None = Doc("The label of the invocation whose journal to watch (with after_entry).")
    restart_after: float | None = Doc("Restart it this many seconds later (else a later 'restart' step does).", ge=0)
    delay: float | None = Doc(
        "Kill this many seconds later: after after_entry is recorded, or after the step starts.", ge=0
    )
    timeout: float | None = Doc("Seconds to wait for after_entry before the step fails (default 30).", gt=0)
    node: Annotated[int, Field(ge=1)] | Literal["leader"] | None = Doc(
        "With crash = 'node' (run --nodes 3): the node's number, or 'leader': the node leading the partition "
        "of the invocation 'of'."
    )

    @property
    def target(self) -> str:
        return self.crash

    @model_validator(mode="after")
    def _watched(self) -> Crash:
        if self.after_entry and not self.of:
            raise problem("of", "the label of the invocation whose journal to watch (with after_entry)")
        if (self.crash == "node") != (self.node is not None):
            raise problem("node", "a node number or 'leader' with crash = 'node', and only then", self.node)
        if self.node == "leader" and not self.of:
            raise problem("of", "the label of the invocation whose partition's leader to kill (node = 'leader')")
        return self

    def refers(self) -> list[tuple[str, str]]:
        return [("of", self.of)] if self.of else []

    async def play(self, run: ScenarioRunner) -> None:
        await run.crash(self)


@action
class Restart(Action):
    name: ClassVar[str] = "restart"
    summary: ClassVar[str] = "Start a killed service or restate-server again (the server on the same data)."
    example: ClassVar[str] = 'restart = "service"'
    restart: Part = Field(description=PART_DOC)
    node: int | None = Doc("With restart = 'node': its number (default: the node the run killed last).", ge=1)

    @property
    def target(self) -> str:
        return self.restart

    @model_validator(mode="after")
    def _node_only_for_nodes(self) -> Restart:
        if self.node is not None and self.restart != "node":
            raise problem("node", "a node number only with restart = 'node'", self.node)
        return self

    async def play(self, run: ScenarioRunner) -> None:
        if self.restart == "node":
            from restate_play.scenario.nodes import node_to_restart

            await run.restart(node_to_restart(run, self.node))
        else:
            await run.restart(self.restart)


@action
class Wait(Action):
    name: ClassVar[str] = "wait"
    summary: ClassVar[str] = "Let time pass: seconds of wall clock."
    example: ClassVar[str] = "wait = 1.5"
    wait: float = Field(description="Seconds to wait (a number).", ge=0)

    async def play(self, run: ScenarioRunner) -> None:
        await run.sleep(self.wait)


@action
class WaitFor(Action):
    name: ClassVar[str] = "wait_for"
    summary: ClassVar[str] = "Wait until a labelled invocation completes; on timeout, say what it is doing."
    example: ClassVar[str] = 'wait_for = "trip"\ntimeout = 20'
    default_timeout: ClassVar[float | None] = 30.0
    wait_for: str = Field(description=LABEL_DOC)
    timeout: float | None = Doc("Seconds to wait before the step fails (default 30).", gt=0)

    def refers(self) -> list[tuple[str, str]]:
        return [("wait_for", self.wait_for)]

    async def play(self, run: ScenarioRunner) -> None:
        await run.wait_for(self, self.wait_for)


@action
class Attach(Action):
    name: ClassVar[str] = "attach"
    summary: ClassVar[str] = "Attach to a labelled invocation (a send's) and check its result."
    example: ClassVar[str] = 'attach = "task-1"\nexpect = { status = 200, body = "Work!" }'
    default_timeout: ClassVar[float | None] = 30.0
    attach: str = Field(description="The label ('as') of an earlier send.")
    expect: Expect | None = Doc("What the result must look like: { status = 200, body = … }.")
    timeout: float | None = Doc("Seconds to wait for the result before the step fails (default 30).", gt=0)

    def refers(self) -> list[tuple[str, str]]:
        refs = [("attach", self.attach)]
        same = self.expect.same_invocation_as if self.expect else None
        return refs + ([("same_invocation_as", same)] if same else [])

    async def play(self, run: ScenarioRunner) -> None:
        await run.attach(self)


@action
class ResolveAwakeable(Action):
    name: ClassVar[str] = "resolve_awakeable"
    summary: ClassVar[str] = "Complete an awakeable: by id, or 'from_log' for the one the service logged."
    example: ClassVar[str] = 'resolve_awakeable = "from_log"\nvalue = true'
    default_timeout: ClassVar[float | None] = 15.0
    resolve_awakeable: str = Field(description="An awakeable id, or 'from_log'.", min_length=1)
    value: Any = Doc("The JSON value to resolve it with (a TOML value).", True)
    timeout: float | None = Doc("Seconds to wait for the service to log one (default 15).", gt=0)

    async def play(self, run: ScenarioRunner) -> None:
        await run.resolve_awakeable(self)
