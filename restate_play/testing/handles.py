"""What the `restate` fixture hands back: an invocation handle, a journal, the ledger's view.

They hold the playground's own records (`restate.records.Invocation`, `JournalEntry`,
`world.ledger.LedgerEntry`), the ones the scenario engine checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from rich.console import Console

from restate_play.restate.records import Invocation, JournalEntry
from restate_play.views.journal import journal_tree
from restate_play.waiting import eventually
from restate_play.world import ledger
from restate_play.world.ledger import LedgerEntry

if TYPE_CHECKING:
    from restate_play.testing.fixture import Restate


@dataclass
class InvocationHandle:
    """An invocation started with `restate.send(...)` (or found by id): `.id`, `.result()`, `.journal()`."""

    restate: Restate = field(repr=False)
    id: str
    target: str
    status_code: int = 202  # the ingress' answer to the send (200 when an idempotency key saw it before)

    def result(self, timeout: float = 30.0) -> Any:
        """The handler's answer once it completes; raises RestateCallError for a terminal error,
        InvocationFailed when it cannot complete as the code stands (journal mismatch, paused)."""
        return self.restate.result_of(self.id, self.target, timeout)

    def record(self) -> Invocation | None:
        """Restate's row for it (status, retry_count, last_failure, …)."""
        return self.restate.invocation(self.id)

    def status(self) -> str | None:
        inv = self.record()
        return inv.status if inv else None

    def journal(self) -> Journal:
        return self.restate.journal(self)

    def cancel(self) -> None:
        self.restate.cancel(self)


@dataclass(frozen=True)
class Journal(Sequence[JournalEntry]):
    """An invocation's journal, decoded: entries in order, with `names()` of its named steps."""

    invocation: Invocation | None
    entries: tuple[JournalEntry, ...]

    @overload
    def __getitem__(self, index: int) -> JournalEntry: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[JournalEntry]: ...
    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        return self.entries[index]

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self.entries)

    def commands(self) -> list[JournalEntry]:
        """What the handler did (runs, sleeps, calls, state…), without the results Restate sent back."""
        return [e for e in self.entries if e.kind == "Command"]

    def names(self) -> list[str]:
        """The named steps in order: ctx.run_typed("Book car", …), ctx.sleep(…, name="…")."""
        return [e.name for e in self.commands() if e.name]

    def types(self) -> list[str]:
        """Every command's type in order: 'Input', 'Run', 'Sleep', 'Call', 'SetState', 'Output', …"""
        return [e.type for e in self.commands()]

    def __str__(self) -> str:
        if self.invocation is None:
            return "(no such invocation)"
        return render(journal_tree(self.invocation, list(self.entries)))


def render(renderable: Any, width: int = 110) -> str:
    """A rich renderable as plain text (pytest's report is not a terminal)."""
    console = Console(width=width, no_color=True, highlight=False, force_terminal=False, record=True)
    with console.capture() as captured:
        console.print(renderable)
    return captured.get().rstrip()


class Ledger:
    """The ledger entries this test's services recorded (`restate_play.world.ledger.record`)."""

    def __init__(self, path: Callable[[], Path]):
        self._path = path
        self._since = 0  # entries before the test began are not this test's

    def begin(self) -> None:
        self._since = len(ledger.read(self._path()))

    def entries(self, action: str | None = None, **where: Any) -> list[LedgerEntry]:
        fresh = [e for e in ledger.read(self._path()) if e.seq > self._since]
        return [e for e in fresh if action is None or e.matches(action, **where)]

    def count(self, action: str, **where: Any) -> int:
        """How often `action` was recorded with these arguments, e.g. count("car.book", customer="4711")."""
        return len(self.entries(action, **where))

    def actions(self) -> list[str]:
        return [e.action for e in self.entries()]

    def wait_for(self, action: str, timeout: float = 30.0, **where: Any) -> LedgerEntry:
        """The first matching entry, once the service has recorded it (e.g. an awakeable's id to resolve)."""
        found = eventually(
            lambda: self.entries(action, **where), timeout=timeout, interval=0.02, what=f"'{action}' in the ledger"
        )
        return found[0]
