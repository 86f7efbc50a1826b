"""The one knob for the source documents' long waits (5 s transitions, daily reminders, 24 h expiry).

`restate-play serve` keeps the documents' real durations (scale 1.0); scenarios run scaled down
(RESTATE_PLAY_TIME_SCALE=0.1 makes a 5 s transition take 0.5 s) so each finishes in seconds.
"""

from __future__ import annotations

import os
from datetime import timedelta

ENV_VAR = "RESTATE_PLAY_TIME_SCALE"


def scale() -> float:
    try:
        return float(os.environ.get(ENV_VAR, "1.0"))
    except ValueError:
        return 1.0


def scaled(duration: timedelta) -> timedelta:
    return duration * scale()
