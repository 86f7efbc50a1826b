"""An asciicast v2 recording played in a terminal emulator (pyte): the screen it ends on."""

from __future__ import annotations

import json

import pyte


def replay(cast_text: str) -> list[str]:
    header, *events = cast_text.splitlines()
    head = json.loads(header)
    assert head["version"] == 2, head
    screen = pyte.Screen(head["width"], head["height"])
    stream = pyte.Stream(screen)
    for line in events:
        _, kind, data = json.loads(line)
        assert kind == "o"
        stream.feed(data)
    return [row.rstrip() for row in screen.display]
