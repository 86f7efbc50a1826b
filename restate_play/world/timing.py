"""The one knob for the source documents' long waits (5 s transitions, daily reminders, 24 h expiry).

`restate-play serve` keeps the documents' real durations (scale 1.0); scenarios run scaled down
(RESTATE_PLAY_TIME_SCALE=0.1 makes a 5 s transition take 0.5 s) so each finishes in seconds.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta

ENV_VAR = "RESTATE_PLAY_TIME_SCALE"


def scale() -> float:
    try:
        return float(os.environ.get(ENV_VAR, "1.0"))
    except ValueError:
        return 1.0


def scaled(duration: timedelta, name: str | None = None) -> timedelta:
    """The document's `duration` at this run's time scale, unless a scenario pinned the wait `name`."""
    pinned = pinned_seconds(name) if name else None
    return timedelta(seconds=pinned) if pinned is not None else duration * scale()


DURATIONS_ENV_VAR = "RESTATE_PLAY_DURATIONS"


def pinned_seconds(name: str) -> float | None:
    """Seconds a scenario's [world.durations] gives the named wait (RESTATE_PLAY_DURATIONS, JSON).

    One scale cannot show every story: a 10 s reminder and a 24 h expiry keep their 1:8640 ratio at any
    scale, so a scenario that wants to reach the expiry pins that one wait to a few seconds.
    """
    try:
        value = json.loads(os.environ.get(DURATIONS_ENV_VAR) or "{}").get(name)
    except (ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
