"""Where restate-play keeps things: shipped data, the per-user cache and state directories."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_REPO = _PACKAGE.parent


def _data(name: str) -> Path:
    # Installed wheels carry the data under restate_play/_data; a source checkout has it at the top.
    shipped = _PACKAGE / "_data" / name
    return shipped if shipped.exists() else _REPO / name


def scenarios_dir() -> Path:
    return _data("scenarios")


def server_config() -> Path:
    return Path(os.environ.get("RESTATE_PLAY_CONFIG", _data("restate.toml")))


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "restate-play"


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "restate-play"
