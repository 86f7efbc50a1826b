"""The fix-demo's trip saga: the Sagas pattern's bookings and compensations, with the hotel step
built from a date parser, so version 1 (a bug) and version 2 (the fix) differ in one line.

A failing step that raises an ordinary exception is retried by Restate with the service's retry
policy: a few quick attempts, then the invocation *pauses*, journal intact, until someone resumes
it (on fixed code). A TerminalError instead ends the saga, and its compensations run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta

import restate
from restate import Context, InvocationRetryPolicy, TerminalError

from restate_play.patterns.bodies import JsonBody, bad_request_is_400
from restate_play.patterns.sagas import BookingRequest, HotelRequest
from restate_play.world import travel

# Pause after a handful of quick attempts (the playground's restate.toml allows 200): a person
# watching sees the retries, then the pause, within seconds.
RETRIES = InvocationRetryPolicy(
    initial_interval=timedelta(milliseconds=100),
    exponentiation_factor=2.0,
    max_interval=timedelta(milliseconds=400),
    max_attempts=4,
    on_max_attempts="pause",
)


def booking_service(parse_date: Callable[[str], date]) -> restate.Service:
    service = restate.Service(
        "BookingWorkflow", invocation_retry_policy=RETRIES, invocation_context_managers=[bad_request_is_400]
    )

    def book_hotel(customer_id: str, hotel: HotelRequest) -> str:
        nights = (parse_date(hotel.departure_date) - parse_date(hotel.arrival_date)).days
        try:
            return travel.book_hotel(customer_id, {**hotel.model_dump(), "nights": nights})
        except travel.BookingRejected as rejected:
            raise TerminalError(str(rejected)) from rejected

    @service.handler(input_serde=JsonBody(BookingRequest))
    async def run(ctx: Context, req: BookingRequest) -> None:
        customer = req.customer_id
        compensations: list[Callable[[], Awaitable[None]]] = []
        try:
            compensations.append(lambda: ctx.run_typed("Cancel flight", travel.cancel_flight, customer_id=customer))
            await ctx.run_typed(
                "Book flight", travel.book_flight, customer_id=customer, flight=req.flights.model_dump()
            )
            compensations.append(lambda: ctx.run_typed("Cancel car", travel.cancel_car, customer_id=customer))
            await ctx.run_typed("Book car", travel.book_car, customer_id=customer, car=req.car.model_dump())
            compensations.append(lambda: ctx.run_typed("Cancel hotel", travel.cancel_hotel, customer_id=customer))
            await ctx.run_typed("Book hotel", book_hotel, customer_id=customer, hotel=req.hotel)
        except TerminalError:
            for compensation in reversed(compensations):
                await compensation()
            raise

    return service
