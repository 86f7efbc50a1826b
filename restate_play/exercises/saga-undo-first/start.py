"""Exercise saga-undo-first: a trip that books a flight and a hotel, and undoes them on failure."""

from datetime import timedelta

import restate
from restate.exceptions import TerminalError

from restate_play.world import shop

trips = restate.Service("Trips")


def book(kind: str, trip: str) -> str:
    try:
        return shop.book(kind, trip)
    except shop.Timeout as err:
        raise TerminalError(str(err)) from err  # no answer: give the trip up


@trips.handler()
async def trip(ctx: restate.Context, trip: str) -> str:
    compensations = []
    try:
        # CHANGE THIS: each undo is registered after its action; a failed action that took effect is never undone.
        await ctx.run_typed("Book flight", book, kind="flight", trip=trip)
        compensations.append(lambda: ctx.run_typed("Cancel flight", shop.cancel, kind="flight", trip=trip))
        await ctx.sleep(timedelta(seconds=0.4), name="Wait for the seat confirmation")
        await ctx.run_typed("Book hotel", book, kind="hotel", trip=trip)
        compensations.append(lambda: ctx.run_typed("Cancel hotel", shop.cancel, kind="hotel", trip=trip))
    except TerminalError:
        for undo in reversed(compensations):
            await undo()
        raise
    return f"trip {trip} booked"


services = [trips]
