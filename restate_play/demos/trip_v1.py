"""Version 1 of the trip saga, with a bug: the hotel step parses ISO dates (2024-12-20) as
day-month-year, so it raises ValueError on every attempt. Restate retries, then pauses the trip."""

from __future__ import annotations

from datetime import date, datetime

from restate_play.demos.trip import booking_service


def parse_date(text: str) -> date:
    return datetime.strptime(text, "%d-%m-%Y").date()  # the bug: the dates are ISO, year first


services = [booking_service(parse_date)]
