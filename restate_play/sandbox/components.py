"""Extra real parts a pattern needs beside restate-server and its service (`Pattern.needs`).

A component hands the server or the service environment variables (e.g. a broker address or a
database URL), and stops after them. One the server is configured with starts before it; one only
the service needs starts beside both (its address is fixed first). To add one (a Kafka broker,
PostgreSQL), implement `Component` in its own module and map its name in `component_factories()`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from restate_play.errors import PlayError


class Component(Protocol):
    name: str
    # True: restate-server is started with its server_env() (a Kafka cluster's address), so the
    # component is up before the server starts. False: only the service needs its address, which
    # reserve() fixes beforehand, so it starts while the server and the service boot.
    configures_server: bool

    def reserve(self) -> None:
        """Fix the addresses service_env() reports (e.g. pick a port), before start()."""

    def start(self, data_dir: Path) -> None:
        """Start (blocking until healthy). Raise PlayError with a hint when it cannot."""

    def service_env(self) -> dict[str, str]:
        """Environment for the pattern's service process (addresses, URLs)."""

    def server_env(self) -> dict[str, str]:
        """Environment for restate-server (RESTATE_* overrides), e.g. a Kafka cluster's brokers."""

    def stop(self) -> None:
        """Stop and free every port; must be safe to call twice or after a failed start."""

    def describe(self) -> dict:
        """PIDs and ports, for the sandbox state file and cleanup checks."""


ComponentFactory = Callable[[dict[str, str]], Component]


def component_factories() -> dict[str, ComponentFactory]:
    """Name in `Pattern.needs` → factory taking the sandbox's component options."""
    factories: dict[str, ComponentFactory] = {}
    factories["kafka"] = lambda opts: __import__("restate_play.sandbox.kafka", fromlist=["_"]).KafkaBroker(opts)
    factories["postgres"] = lambda opts: __import__("restate_play.sandbox.postgres", fromlist=["_"]).Postgres(opts)
    return factories


def make_components(needs: frozenset[str], options: dict[str, str]) -> list[Component]:
    factories = component_factories()
    missing = sorted(n for n in needs if n not in factories)
    if missing:
        raise PlayError(f"This pattern needs {', '.join(missing)}, which the playground cannot start yet.")
    return [factories[n](options) for n in sorted(needs)]
