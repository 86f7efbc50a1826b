"""How values are shown: JSON pretty-printed when it is JSON, text or hex otherwise."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported when a value is drawn with it: the lookups use `short` only
    from rich.console import RenderableType


def short(text: str | None, width: int = 60) -> str:
    if text is None:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def value_renderable(text: str | None) -> RenderableType:
    from rich.json import JSON
    from rich.text import Text

    if text is None:
        return Text("∅", style="dim")
    try:
        json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return Text(text)
    return JSON(text, indent=2)
