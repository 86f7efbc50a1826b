"""Rate Limiting: a token bucket limiter built from Virtual Object state and durable sleeps.

`limiter` is a Virtual Object, one per limited thing (key `myService-expensiveMethod`). Its state is a
token bucket, as in Go's golang.org/x/time/rate (which the TypeScript example reimplements): `limit`
tokens per second flow in, up to `burst`. A caller *reserves* tokens and learns when it may act;
the bucket may go negative, which is how later callers queue up behind earlier ones. Restate runs
one handler per limiter key at a time, so two reservations never read the same bucket.

The caller then waits with a durable `ctx.sleep`: a crash or restart does not lose its place, and
it holds no process resources while it waits. Times are unix milliseconds, read through the journal
(`ctx.time()`), so a replay computes exactly what the first attempt did.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import restate
from restate import Context, ObjectContext, ObjectSharedContext, TerminalError

from restate_play.patterns.bodies import Body, JsonBody, bad_request_is_400
from restate_play.world import expensive_api

STATE = "state"


class ReserveRequest(Body):
    n: int = 1
    wait_limit_millis: float | None = None  # none: wait as long as it takes


class SetRateRequest(Body):
    new_limit: int | float | None = None  # events per second
    new_burst: int | None = None


# A request of the wrong shape fails at once with a 400 naming the field, instead of being retried.
limiter = restate.VirtualObject("limiter", invocation_context_managers=[bad_request_is_400])


@limiter.handler(kind="shared")
async def state(ctx: ObjectSharedContext) -> dict[str, Any]:
    return await _bucket(ctx)


@limiter.handler(kind="shared")
async def tokens(ctx: ObjectSharedContext) -> float:
    return advance(await _bucket(ctx), await _now_millis(ctx))


@limiter.handler(input_serde=JsonBody(ReserveRequest | None))
async def reserve(ctx: ObjectContext, request: ReserveRequest | None) -> dict[str, Any]:
    """Take `n` tokens (default 1) if the wait stays within `waitLimitMillis`; say when to act."""
    request = request or ReserveRequest()
    n = request.n
    wait_limit_millis = math.inf if request.wait_limit_millis is None else request.wait_limit_millis
    bucket, now = await _bucket(ctx), await _now_millis(ctx)

    remaining = advance(bucket, now) - n
    wait_millis = millis_from_tokens(bucket["limit"], -remaining) if remaining < 0 else 0.0
    ok = n <= bucket["burst"] and wait_millis <= wait_limit_millis
    reservation = {"ok": ok, "tokens": 0, "creationDate": now, "dateToAct": 0, "limit": bucket["limit"]}
    if ok:
        reservation.update(tokens=n, dateToAct=now + wait_millis)
        bucket.update(last=now, tokens=remaining, lastEvent=now + wait_millis)
        ctx.set(STATE, bucket)
    return reservation


@limiter.handler("setRate", input_serde=JsonBody(SetRateRequest))
async def set_rate(ctx: ObjectContext, request: SetRateRequest) -> None:
    if request.new_limit is None and request.new_burst is None:
        return
    bucket, now = await _bucket(ctx), await _now_millis(ctx)
    # Settle the tokens earned at the old rate before the new one applies.
    bucket.update(tokens=advance(bucket, now), last=now)
    if request.new_limit is not None:
        bucket["limit"] = request.new_limit
    if request.new_burst is not None:
        bucket["burst"] = request.new_burst
    ctx.set(STATE, bucket)


@limiter.handler("cancelReservation")
async def cancel_reservation(ctx: ObjectContext, reservation: dict[str, Any]) -> None:
    """Give back what a caller reserved but will not use (its wait was cancelled)."""
    bucket, now = await _bucket(ctx), await _now_millis(ctx)
    if reservation["tokens"] == 0 or reservation["dateToAct"] < now:
        return
    # Tokens reserved by later callers, after this reservation, stay taken.
    later = tokens_from_millis(reservation["limit"], bucket["lastEvent"] - reservation["dateToAct"])
    restore = reservation["tokens"] - later
    if restore <= 0:
        return
    bucket.update(tokens=min(advance(bucket, now) + restore, bucket["burst"]), last=now)
    if reservation["dateToAct"] == bucket["lastEvent"]:
        previous_event = reservation["dateToAct"] - millis_from_tokens(reservation["limit"], reservation["tokens"])
        if previous_event >= now:
            bucket["lastEvent"] = previous_event
    ctx.set(STATE, bucket)


# --- the token bucket arithmetic (pure functions) ----------------------------------------------


def advance(bucket: dict[str, Any], now: float) -> float:
    """The tokens in the bucket at `now`: what it had, plus what flowed in since, capped at burst."""
    elapsed = max(0.0, now - bucket["last"])
    return min(bucket["tokens"] + tokens_from_millis(bucket["limit"], elapsed), bucket["burst"])


def millis_from_tokens(limit: float, tokens: float) -> float:
    return tokens / limit * 1000 if limit > 0 else math.inf


def tokens_from_millis(limit: float, millis: float) -> float:
    return millis / 1000 * limit if limit > 0 else 0.0


async def _bucket(ctx: ObjectSharedContext | ObjectContext) -> dict[str, Any]:
    empty = {"limit": 0, "burst": 0, "tokens": 0, "last": 0, "lastEvent": 0}  # no rate set: nothing passes
    return await ctx.get(STATE, type_hint=dict) or empty


async def _now_millis(ctx: ObjectSharedContext | ObjectContext | Context) -> float:
    return await ctx.time() * 1000


# --- the client side: wait for the limiter, from any handler -----------------------------------


async def wait(ctx: Context, limiter_id: str, n: int = 1, wait_limit_millis: float | None = None) -> None:
    """Block durably until the limiter lets `n` events happen; 429 if it never could."""
    request: dict[str, Any] = {"n": n}
    if wait_limit_millis is not None:
        request["waitLimitMillis"] = wait_limit_millis
    reservation = await ctx.object_call(reserve, key=limiter_id, arg=request)
    if not reservation["ok"]:
        raise TerminalError(f"rate: Wait(n={n}) would exceed the limiter's burst", status_code=429)
    delay_millis = reservation["dateToAct"] - reservation["creationDate"]
    if delay_millis <= 0:
        return
    try:
        await ctx.sleep(timedelta(milliseconds=delay_millis), name="Wait for the rate limiter")
    except TerminalError:
        # Only a cancellation gets here: hand the tokens back in the background, then give up.
        ctx.object_send(cancel_reservation, key=limiter_id, arg=reservation)
        raise


# --- the limited service -----------------------------------------------------------------------

LIMITER_NAME = "myService-expensiveMethod"

my_service = restate.Service("myService", invocation_context_managers=[bad_request_is_400])


@my_service.handler("expensiveMethod")
async def expensive_method(ctx: Context) -> None:
    await wait(ctx, LIMITER_NAME)
    await ctx.run_typed("Expensive call", expensive_api.call, limiter=LIMITER_NAME)


@my_service.handler("expensiveMethodBatch", input_serde=JsonBody(int | None))
async def expensive_method_batch(ctx: Context, batch_size: int | None) -> None:
    batch_size = batch_size or 20
    await wait(ctx, LIMITER_NAME, batch_size)  # one reservation for the whole batch
    for i in range(batch_size):
        await ctx.run_typed(f"Expensive call {i + 1}", expensive_api.call, limiter=LIMITER_NAME)


services = [limiter, my_service]
