"""Version 2 of the trip saga: the fix. Deployed beside version 1, it is the latest deployment of
BookingWorkflow; a paused trip resumed on it continues after its journaled steps."""

from __future__ import annotations

from datetime import date

from restate_play.demos.trip import booking_service

services = [booking_service(date.fromisoformat)]
