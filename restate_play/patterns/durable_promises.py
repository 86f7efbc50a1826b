"""Durable Promises as a Service: promises with an id, awaited from anywhere, completed once.

Each promise is a `durablePromise` Virtual Object keyed by its name. Its state holds the
completion (`value`: `{"value": …}` or `{"error": …}`) and the awakeable ids of everyone waiting
(`listeners`). The object runs one handler per promise at a time, so two racing completions can
never both win: the first one is stored, the later ones just read it back.

Waiting cannot happen *inside* the object (an exclusive handler that blocks would lock out the
resolver), so `durablePromiseServer/await` creates an awakeable, registers its id with the object
and suspends on it. Completing the promise resolves every registered awakeable. Nothing needs to
stay alive meanwhile: awaiters, completer and service may come and go.

`durable_promise(url, id)` at the bottom is the same API for any Python process, over HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
import restate
from restate import Context, ObjectContext
from restate.serde import JsonSerde

from restate_play.patterns.bodies import Body, JsonBody, bad_request_is_400

COMPLETION = "value"  # {"value": …} or {"error": "…"}, set once
LISTENERS = "listeners"  # awakeable ids of the callers waiting for the completion


class _NullableJson(JsonSerde):
    """Answer JSON `null` (as the TypeScript example does) rather than an empty body."""

    def serialize(self, obj: Any) -> bytes:
        return b"null" if obj is None else super().serialize(obj)


# --- the promise itself: one Virtual Object per promise name ------------------------------------

durable_promise_object = restate.VirtualObject("durablePromise")


@durable_promise_object.handler("resolve")
async def resolve_promise(ctx: ObjectContext, value: Any) -> dict:
    return await _complete(ctx, {"value": value})


@durable_promise_object.handler("reject")
async def reject_promise(ctx: ObjectContext, error_message: str) -> dict:
    return await _complete(ctx, {"error": error_message})


@durable_promise_object.handler("peek", output_serde=_NullableJson())
async def peek_promise(ctx: ObjectContext) -> dict | None:
    return await ctx.get(COMPLETION, type_hint=dict)


@durable_promise_object.handler("await", output_serde=_NullableJson())
async def await_promise(ctx: ObjectContext, awakeable_id: str) -> dict | None:
    completion = await ctx.get(COMPLETION, type_hint=dict)
    if completion is not None:  # already completed: wake the caller right away
        ctx.resolve_awakeable(awakeable_id, completion)
        return completion
    listeners = await ctx.get(LISTENERS, type_hint=list) or []
    ctx.set(LISTENERS, [*listeners, awakeable_id])
    return None


async def _complete(ctx: ObjectContext, completion: dict) -> dict:
    first = await ctx.get(COMPLETION, type_hint=dict)
    if first is not None:  # somebody was first: their completion stands, and is the answer
        return first
    ctx.set(COMPLETION, completion)
    for awakeable_id in await ctx.get(LISTENERS, type_hint=list) or []:
        ctx.resolve_awakeable(awakeable_id, completion)
    ctx.clear(LISTENERS)
    return completion


# --- the HTTP face: `{"request": {"promiseName": …}}` in, the completion out --------------------


class PromiseRequest(Body):
    promise_name: str


class ResolveRequest(PromiseRequest):
    value: Any = None


class RejectRequest(PromiseRequest):
    error_message: str


R = TypeVar("R", bound=PromiseRequest)


class Call(Body, Generic[R]):
    """The document's envelope around every request: `{"request": {...}}`."""

    request: R


# A request of the wrong shape fails at once with a 400 naming the field, instead of being retried.
durable_promise_server = restate.Service("durablePromiseServer", invocation_context_managers=[bad_request_is_400])


@durable_promise_server.handler(input_serde=JsonBody(Call[ResolveRequest]))
async def resolve(ctx: Context, body: Call[ResolveRequest]) -> dict:
    request = body.request
    return await ctx.object_call(resolve_promise, key=request.promise_name, arg=request.value)


@durable_promise_server.handler(input_serde=JsonBody(Call[RejectRequest]))
async def reject(ctx: Context, body: Call[RejectRequest]) -> dict:
    request = body.request
    return await ctx.object_call(reject_promise, key=request.promise_name, arg=request.error_message)


@durable_promise_server.handler(input_serde=JsonBody(Call[PromiseRequest]), output_serde=_NullableJson())
async def peek(ctx: Context, body: Call[PromiseRequest]) -> dict | None:
    return await ctx.object_call(peek_promise, key=body.request.promise_name, arg=None)


@durable_promise_server.handler("await", input_serde=JsonBody(Call[PromiseRequest]))
async def await_(ctx: Context, body: Call[PromiseRequest]) -> dict:
    awakeable_id, completion = ctx.awakeable(type_hint=dict)
    await ctx.object_call(await_promise, key=body.request.promise_name, arg=awakeable_id)
    return await completion  # suspends until the promise is completed, however long that takes


services = [durable_promise_server, durable_promise_object]


# --- using promises from any Python process ------------------------------------------------------


class PromiseRejected(Exception):
    """The promise was rejected (by whoever completed it first)."""


@dataclass(frozen=True)
class DurablePromise:
    """A reference to the durable promise `id`, through the Restate ingress at `url`."""

    url: str
    id: str

    def peek(self) -> Any:
        """The value without waiting: None while the promise is open. Raises if it was rejected."""
        completion = self._call("peek")
        return None if completion is None else _settle(completion)

    def get(self) -> Any:
        """Wait for the value, however long it takes (this process may also stop and ask again)."""
        return _settle(self._call("await"))

    def resolve(self, value: Any) -> Any:
        """Complete with `value`; returns the value that stands (an earlier completion wins)."""
        return _settle(self._call("resolve", value=value))

    def reject(self, error_message: str) -> Any:
        """Complete with an error; if it was resolved earlier, returns that value instead."""
        return _settle(self._call("reject", errorMessage=error_message))

    def _call(self, method: str, **params: Any) -> Any:
        answer = httpx.post(
            f"{self.url.rstrip('/')}/durablePromiseServer/{method}",
            json={"request": {"promiseName": self.id, **params}},
            timeout=httpx.Timeout(10.0, read=None),  # `get` may wait for a long time
        )
        if answer.is_error:
            raise RuntimeError(f"durablePromiseServer/{method} failed: {answer.status_code} {answer.text}")
        return answer.json() if answer.content else None


def durable_promise(url: str, promise_id: str) -> DurablePromise:
    """`durable_promise("http://localhost:8080", "prom-1").get()` waits for prom-1's value."""
    return DurablePromise(url, promise_id)


def _settle(completion: dict) -> Any:
    if "error" in completion:
        raise PromiseRejected(completion["error"])
    return completion.get("value")
