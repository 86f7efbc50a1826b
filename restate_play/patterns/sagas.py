"""Sagas: book a flight, a car and a hotel; if a step fails for good, undo the earlier ones.

Every undo action is registered *before* its booking runs: if the booking timed out after the
provider had in fact made it, the compensation still runs. Compensations run in reverse order,
each as a durable step, so they too survive crashes and are not repeated once done.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import restate
from restate import Context, TerminalError

from restate_play.patterns.bodies import Body, JsonBody, bad_request_is_400
from restate_play.world import travel


class FlightRequest(Body):
    flight_id: str
    passenger_name: str


class CarRequest(Body):
    pickup_location: str
    rental_date: str


class HotelRequest(Body):
    arrival_date: str
    departure_date: str


class BookingRequest(Body):
    customer_id: str
    flights: FlightRequest
    car: CarRequest
    hotel: HotelRequest


# A request of the wrong shape fails at once with a 400 naming the field, instead of being retried.
booking_workflow = restate.Service("BookingWorkflow", invocation_context_managers=[bad_request_is_400])


@booking_workflow.handler(input_serde=JsonBody(BookingRequest))
async def run(ctx: Context, req: BookingRequest) -> None:
    customer_id = req.customer_id
    compensations: list[Callable[[], Awaitable[None]]] = []

    try:
        compensations.append(lambda: ctx.run_typed("Cancel flight", travel.cancel_flight, customer_id=customer_id))
        await ctx.run_typed("Book flight", _booking(travel.book_flight), customer_id=customer_id, details=req.flights)

        compensations.append(lambda: ctx.run_typed("Cancel car", travel.cancel_car, customer_id=customer_id))
        await ctx.run_typed("Book car", _booking(travel.book_car), customer_id=customer_id, details=req.car)

        compensations.append(lambda: ctx.run_typed("Cancel hotel", travel.cancel_hotel, customer_id=customer_id))
        await ctx.run_typed("Book hotel", _booking(travel.book_hotel), customer_id=customer_id, details=req.hotel)
    except TerminalError:
        # Undo in reverse order. Transient errors never get here: Restate retries those steps.
        for compensation in reversed(compensations):
            await compensation()
        raise


def _booking(book: Callable[[str, dict[str, Any]], str]) -> Callable[..., str]:
    """A provider's "no" is final (TerminalError); anything else is retried by Restate."""

    def call(customer_id: str, details: Body) -> str:
        try:
            return book(customer_id, details.model_dump())
        except travel.BookingRejected as rejected:
            raise TerminalError(str(rejected)) from rejected

    return call


services = [booking_workflow]
