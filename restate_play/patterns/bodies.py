"""Typed request bodies: a request of the wrong shape is the caller's mistake, answered at once.

restate-sdk reads a pydantic-typed handler input by itself, but (checked with 1.3.0) a body that
does not validate comes back as a TerminalError of code 500 with pydantic's multi-line text, and
an *empty* body reaches the handler as `None`, so the handler fails on its first field and Restate
retries it for ever. With the two pieces below a wrong body is a 400 naming each bad field and the
shape expected, and the invocation ends at once as failed:

    booking_workflow = restate.Service("BookingWorkflow", invocation_context_managers=[bad_request_is_400])

    @booking_workflow.handler(input_serde=JsonBody(BookingRequest))
    async def run(ctx: Context, req: BookingRequest) -> None: ...
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel
from restate import TerminalError
from restate.serde import Serde

T = TypeVar("T")

_MAX_ERRORS = 5


class Body(BaseModel):
    """A request body: camelCase on the wire (as the TypeScript documents send it), snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )


class BadRequest(TerminalError):
    """A request body of the wrong shape: final (retrying cannot fix it), and the caller's fault."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status_code=400)


class JsonBody(Serde[T], Generic[T]):
    """JSON in and out, validated against `type_` (a model, or a plain type such as `int` or `str`)."""

    def __init__(self, type_: Any) -> None:
        self.type = type_
        self.adapter: TypeAdapter[T] = TypeAdapter(type_)

    def deserialize(self, buf: bytes) -> T | None:
        # An empty body is checked as `{}` for a model, so the answer names the missing fields.
        empty = {} if isinstance(self.type, type) and issubclass(self.type, BaseModel) else None
        try:
            return self.adapter.validate_json(buf) if buf else self.adapter.validate_python(empty)
        except ValidationError as error:
            raise BadRequest(explain(error, self.adapter, got_empty=not buf)) from None

    def serialize(self, obj: T | None) -> bytes:
        if obj is None:
            return b""
        if isinstance(obj, BaseModel):
            # Only the fields that were given (defaults fill in again on the way in): a body passed
            # on to another handler arrives as it was sent.
            return obj.model_dump_json(exclude_unset=True).encode()
        return json.dumps(obj).encode()


@asynccontextmanager
async def bad_request_is_400() -> AsyncIterator[None]:
    """Keep a `BadRequest` from `JsonBody` a 400: the SDK wraps any input error in a TerminalError of code 500."""
    try:
        yield
    except TerminalError as error:
        if isinstance(error.__cause__, BadRequest):
            raise error.__cause__ from None
        raise


def explain(error: ValidationError, adapter: TypeAdapter[Any], got_empty: bool = False) -> str:
    """One line: what is wrong, field by field, then the shape expected (JSON names)."""
    problems = [_problem(e) for e in error.errors()[:_MAX_ERRORS]]
    if len(error.errors()) > _MAX_ERRORS:
        problems.append(f"and {len(error.errors()) - _MAX_ERRORS} more")
    empty = " (empty body)" if got_empty else ""
    return f"Bad request{empty}: {'; '.join(problems)}. Expected {sketch(adapter)}"


def _problem(e: Any) -> str:
    field = ".".join(str(part) for part in e["loc"]) or "the body"
    if e["type"] == "missing":
        return f"{field} is missing"
    got = e.get("input")
    value = got.decode(errors="replace") if isinstance(got, bytes) else json.dumps(got, default=str)
    value = value if len(value) <= 40 else value[:37] + "..."
    return f"{field}: {e['msg'].lower()} (got {value})"


def sketch(adapter: TypeAdapter[Any]) -> str:
    """The expected JSON in brief, e.g. {"customerId": string, "flights": {"flightId": string}}."""
    schema = adapter.json_schema(by_alias=True)
    return _sketch(schema, schema.get("$defs", {}))


def _sketch(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in schema:
        return _sketch(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    for union in ("anyOf", "oneOf"):
        if union in schema:
            return " or ".join(_sketch(s, defs) for s in schema[union])
    if "properties" in schema:
        required = set(schema.get("required", []))
        fields = [
            f'"{name}"{"" if name in required else "?"}: {_sketch(sub, defs)}'
            for name, sub in schema["properties"].items()
        ]
        return "{" + ", ".join(fields) + "}"
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    if schema.get("type") == "array":
        return f"[{_sketch(schema.get('items', {}), defs)}, …]"
    return schema.get("type", "any JSON")
