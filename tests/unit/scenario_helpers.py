"""Build one action from TOML text, and ledger entries from tuples: the action tests need no sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from restate_play.scenario.model import ScenarioError, parse
from restate_play.world.ledger import LedgerEntry


def steps(text: str) -> list[Any]:
    return parse(Path("s.toml"), text).steps


def step(text: str) -> Any:
    (only,) = steps(text)
    return only


def rejected(text: str, *fragments: str) -> str:
    """The loader's message for a bad file; it must hold every fragment."""
    with pytest.raises(ScenarioError) as info:
        parse(Path("broken.toml"), text)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


def entries(*rows: tuple[float, str, dict[str, Any]]) -> list[LedgerEntry]:
    return [LedgerEntry(i, ts, action, args, None, None) for i, (ts, action, args) in enumerate(rows, start=1)]
