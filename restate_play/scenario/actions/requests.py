"""call, send, parallel: requests to the ingress (or the pattern's client app), checked on their answer."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from restate_play.scenario.actions.base import Action, Doc, Strict, Verdict, action, problem

if TYPE_CHECKING:
    from restate_play.restate.ingress import IngressResponse
    from restate_play.scenario.runner import ScenarioRunner

TARGET_RE = re.compile(r"^[A-Za-z_][\w.{}-]*(/[^/\s]+)?/[A-Za-z_{}][\w{}-]*$")
CLIENT_PATH_RE = re.compile(r"^/\S*$")
DELAY_RE = re.compile(r"^\d+(\.\d+)?(ms|s|m|h)$|^P")
TARGET_DOC = "'Service/handler' or 'Object/key/handler' (a path like '/reserve/p1' with via = 'client')"


class Expect(Strict):
    """What an answer must look like."""

    status: int | None = Doc("The HTTP status code, like 200.")
    body: Any = Doc("The exact JSON answer (a TOML value), or its exact text.")
    body_contains: str | None = Doc("Text the answer must contain.")
    invocation_status: Literal["Accepted", "PreviouslyAccepted"] | None = Doc(
        "A send's answer: 'Accepted', or 'PreviouslyAccepted' for a repeated idempotency key."
    )
    same_invocation_as: str | None = Doc("The label ('as') of an earlier request: the answer names its invocation.")

    @property
    def has_body(self) -> bool:
        return "body" in self.model_fields_set

    def wanted(self) -> str:
        parts = [str(self.status)] if self.status is not None else []
        parts += [json.dumps(self.body)] if self.has_body else []
        parts += [f"…{self.body_contains}…"] if self.body_contains else []
        parts += [self.invocation_status] if self.invocation_status else []
        parts += [f"same invocation as '{self.same_invocation_as}'"] if self.same_invocation_as else []
        return " ".join(parts)

    def judge(self, what: str, resp: IngressResponse, first_invocation: str | None = None) -> Verdict:
        """Pure: the answer against this expectation (`first_invocation`: the id of same_invocation_as)."""
        problems = []
        if self.status is not None and resp.status != self.status:
            problems.append(f"status {resp.status}, expected {self.status}")
        if self.has_body and resp.json != self.body and resp.text != self.body:
            problems.append(f"body {resp.text[:200]!r}, expected {json.dumps(self.body)}")
        if self.body_contains is not None and self.body_contains not in resp.text:
            problems.append(f"body {resp.text[:200]!r} lacks {self.body_contains!r}")
        if self.invocation_status is not None:
            got = resp.json.get("status") if isinstance(resp.json, dict) else None
            if got != self.invocation_status:
                problems.append(f"send status {got!r}, expected {self.invocation_status!r}")
        if self.same_invocation_as is not None and (not first_invocation or resp.invocation_id != first_invocation):
            problems.append(
                f"invocation {resp.invocation_id}, expected {first_invocation} ('{self.same_invocation_as}')"
            )
        observed = "; ".join(problems) or f"got {resp.status} {resp.text[:120]}"
        return Verdict(f"{what} → {self.wanted()}", not problems, observed)


class RequestFields(Strict):
    """The fields a call and a send share (also the items of `parallel`)."""

    say: str | None = Doc("Narration shown when the step starts.")
    body: Any = Doc("The JSON request body, as a TOML value (inline table, array, string, number).")
    body_json: str | None = Doc("The request body as raw text (e.g. invalid JSON on purpose); not with 'body'.")
    idempotency_key: str | None = Doc("Sent as the idempotency-key header: a retry is deduplicated by Restate.")
    headers: dict[str, str] = Doc("Extra HTTP headers, name → value.", default_factory=dict)
    label: str | None = Doc("A label for this invocation, used by later steps (of, wait_for, attach).", alias="as")
    background: bool = Doc("Don't wait for the answer; later steps run while it is in flight.", False)
    expect: Expect | None = Doc("What the answer must look like: { status = 200, body = … }.")
    via: Literal["ingress", "client"] = Doc("'ingress' (Restate) or 'client' (the pattern's client app).", "ingress")
    capture: dict[str, str] = Doc(
        "Variable name → regex on the answer; later targets use it as {name}.", default_factory=dict
    )
    repeat: int = Doc("Send it this many times, one after the other; '{i}' in body_json becomes 1…N.", 1, ge=1)
    timeout: float | None = Doc("Seconds to wait for the answer before the step fails (default 30).", gt=0)

    kind: ClassVar[str]

    @property
    def target(self) -> str:
        return getattr(self, self.kind)

    @property
    def has_body(self) -> bool:
        return "body" in self.model_fields_set

    @property
    def raw_body(self) -> str | None:
        return self.body_json

    def with_target(self, target: str, **changes: Any) -> RequestFields:
        return self.model_copy(update={self.kind: target, **changes})

    @field_validator("capture")
    @classmethod
    def _capture(cls, capture: dict[str, str]) -> dict[str, str]:
        for name, pattern in capture.items():
            if not re.fullmatch(r"[A-Za-z_]\w*", name):
                raise problem("capture", "variable names of letters, digits and _", name)
            try:
                re.compile(pattern)
            except re.error as err:
                raise problem("capture", f"a valid regex for '{name}' ({err})", pattern) from None
        return capture

    @model_validator(mode="after")
    def _consistent(self) -> RequestFields:
        if self.via == "client" and (self.kind != "call" or not CLIENT_PATH_RE.match(self.target)):
            raise problem(self.kind, "a 'call' with a path on the client app, like '/reserve/product1/r1'", self.target)
        if self.via == "ingress" and not TARGET_RE.match(self.target):
            raise problem(self.kind, TARGET_DOC, self.target)
        if self.has_body and self.body_json is not None:
            raise problem("body_json", "either 'body' (a TOML value) or 'body_json' (raw text), not both")
        if self.repeat > 1 and (self.label or self.background):
            raise problem("repeat", "no 'as' or 'background' on a repeated request (it is many invocations)")
        return self

    # -- what the loader checks across steps (one request; the step adds its requests up) ----------
    def request_refers(self) -> list[tuple[str, str]]:
        same = self.expect.same_invocation_as if self.expect else None
        return [("same_invocation_as", same)] if same else []

    def request_templated(self) -> str:
        # `{i}` in a repeated request's target is the loop's count (1…N), not a captured value.
        return self.target.replace("{i}", "") if self.repeat > 1 else self.target


class CallFields(RequestFields):
    kind: ClassVar[str] = "call"
    delay: ClassVar[str | None] = None  # calls are never delayed (a send's field)
    call: str = Field(description=TARGET_DOC)


class SendFields(RequestFields):
    kind: ClassVar[str] = "send"
    send: str = Field(description=TARGET_DOC)
    delay: str | None = Doc("Restate delays the one-way send: a duration like '500ms', '2s' or 'PT1S'.")

    @field_validator("delay")
    @classmethod
    def _delay(cls, delay: str | None) -> str | None:
        if delay is not None and not DELAY_RE.match(delay):
            raise problem("delay", "a duration with a unit, like '500ms', '2s' or 'PT1S'", delay)
        return delay


class _Requests(Action):
    """Steps that send requests: the runner plays them all the same way."""

    default_timeout: ClassVar[float | None] = 30.0

    def defines(self) -> list[str]:
        return [req.label for req in self.requests if req.label]

    def refers(self) -> list[tuple[str, str]]:
        return [ref for req in self.requests for ref in req.request_refers()]

    def templated(self) -> list[str]:
        return [req.request_templated() for req in self.requests]

    def captures(self) -> list[str]:
        return [name for req in self.requests for name in req.capture]

    async def play(self, run: ScenarioRunner) -> None:
        await run.send_requests(self)


class _OneRequest(_Requests, RequestFields):
    """A call or a send step: the step is its one request."""

    @property
    def requests(self) -> list[RequestFields]:
        return [self]

    def filled(self, fill: Callable[[str], str]) -> _OneRequest:
        return self.with_target(fill(self.target))  # type: ignore[return-value]


@action
class Call(_OneRequest, CallFields):
    name: ClassVar[str] = "call"
    summary: ClassVar[str] = "Call a handler through the ingress and wait for its answer (bounded by timeout)."
    example: ClassVar[str] = 'call = "BookingWorkflow/run"\nbody = { customerId = "12345" }\nexpect = { status = 200 }'


@action
class Send(_OneRequest, SendFields):
    name: ClassVar[str] = "send"
    summary: ClassVar[str] = "Send a one-way request (optionally delayed); Restate answers with the invocation id."
    example: ClassVar[str] = 'send = "reminder/r1/start"\ndelay = "2s"\nas = "reminder"'


def _item_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        return "send" if "send" in value and "call" not in value else "call"
    return "call" if isinstance(value, str) else None


def _item(value: Any) -> Any:
    return {"call": value} if isinstance(value, str) else value


ParallelItem = Annotated[
    Annotated[CallFields, Tag("call")] | Annotated[SendFields, Tag("send")],
    Discriminator(_item_kind),
]


@action
class Parallel(_Requests):
    name: ClassVar[str] = "parallel"
    summary: ClassVar[str] = "Several calls/sends at once (optionally staggered); each answer checked."
    example: ClassVar[str] = 'parallel = [ { call = "product/p1/reserve", as = "a" }, { call = "product/p1/reserve" } ]'
    parallel: list[ParallelItem] = Field(description="A non-empty list of call/send tables.", min_length=1)
    stagger: float = Doc("Start the requests this many seconds apart, in list order.", 0.0, ge=0)
    expect_count: ParallelCount | None = Doc("How many of the answers must be a given body.")
    timeout: float | None = Doc("Seconds to wait for each answer before the step fails (default 30).", gt=0)

    @field_validator("parallel", mode="before")
    @classmethod
    def _strings_are_calls(cls, items: Any) -> Any:
        return [_item(i) for i in items] if isinstance(items, list) else items

    @model_validator(mode="after")
    def _no_repeat(self) -> Parallel:
        if any(r.repeat > 1 for r in self.parallel):
            raise problem("repeat", "'repeat' only on a call/send step, not inside 'parallel'")
        return self

    @property
    def requests(self) -> list[RequestFields]:
        return list(self.parallel)

    def filled(self, fill: Callable[[str], str]) -> Parallel:
        return self.model_copy(update={"parallel": [r.with_target(fill(r.target)) for r in self.parallel]})

    def judge_count(self, bodies: list[Any], texts: list[str]) -> Verdict | None:
        """Pure: `expect_count` against the answers' JSON bodies."""
        if self.expect_count is None:
            return None
        want, n = self.expect_count.body, self.expect_count.count
        got = sum(1 for b in bodies if b == want)
        shown = ", ".join(sorted(set(texts)))
        return Verdict(
            f"exactly {n} of {len(bodies)} answers are {json.dumps(want)}", got == n, f"{got} were ({shown})"
        )


class ParallelCount(Strict):
    body: Any = Field(description="The JSON answer to count.")
    count: int = Field(description="How many answers must be exactly that body.", ge=0)


Parallel.model_rebuild()
