"""Emulated flight, car-rental and hotel booking APIs (the Sagas example's external systems)."""

from __future__ import annotations

from typing import Any

from restate_play.world import ledger
from restate_play.world.faults import latency, should_fail

# The hotel in the source document is fully booked for the stay it shows (arrival 2024-12-16);
# other dates have rooms, so a scenario can show a saga that completes too.
FULLY_BOOKED_ARRIVALS = {"2024-12-16"}


class BookingRejected(Exception):
    """The provider said no, for good: retrying will not help."""


class ProviderUnavailable(Exception):
    """A transient failure of the provider's API: worth retrying."""


def _call_api(point: str, customer_id: str) -> None:
    """What every call to a provider goes through: its latency, and sometimes a transient failure."""
    latency(point, customer_id)
    if should_fail(point, customer_id):
        ledger.record(f"{point}.unavailable", customer=customer_id)
        raise ProviderUnavailable(f"[👻 SIMULATED] {point} API unavailable, try again")


def book_flight(customer_id: str, flight: dict[str, Any]) -> str:
    _call_api("flight.book", customer_id)
    ledger.record("flight.book", customer=customer_id, flight=flight.get("flightId"))
    print(f"Flight booked for customer {customer_id}", flush=True)
    return f"flight-booking-{customer_id}"


def cancel_flight(customer_id: str) -> None:
    ledger.record("flight.cancel", customer=customer_id)
    print(f"Flight cancelled for customer {customer_id}", flush=True)


def book_car(customer_id: str, car: dict[str, Any]) -> str:
    _call_api("car.book", customer_id)
    ledger.record("car.book", customer=customer_id, pickup=car.get("pickupLocation"))
    print(f"Car booked for customer {customer_id}", flush=True)
    return f"car-booking-{customer_id}"


def cancel_car(customer_id: str) -> None:
    ledger.record("car.cancel", customer=customer_id)
    print(f"Car cancelled for customer {customer_id}", flush=True)


def book_hotel(customer_id: str, hotel: dict[str, Any]) -> str:
    _call_api("hotel.book", customer_id)
    if hotel.get("arrivalDate") in FULLY_BOOKED_ARRIVALS:
        ledger.record("hotel.rejected", customer=customer_id, arrival=hotel.get("arrivalDate"))
        print("[👻 SIMULATED] This hotel is fully booked!", flush=True)
        raise BookingRejected("[👻 SIMULATED] This hotel is fully booked!")
    ledger.record("hotel.book", customer=customer_id, arrival=hotel.get("arrivalDate"))
    print(f"Hotel booked for customer {customer_id}", flush=True)
    return f"hotel-booking-{customer_id}"


def cancel_hotel(customer_id: str) -> None:
    ledger.record("hotel.cancel", customer=customer_id)
    print(f"Hotel cancelled for customer {customer_id}", flush=True)
