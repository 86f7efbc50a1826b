"""What `restart-as-new` from a journal entry keeps, what runs again, and the traps it would set.

Pure functions of a decoded journal (and, when there is one, the world ledger): the CLI's
`--dry-run`, the real restart and the scenario action share them.

Restate's own `from=N` keeps entries 0…N *included* (and the results of the commands among them).
Here `--from K` names the first entry that runs *again*, whether given by index or by step name, so
`--from "Book hotel"` and `--from 5` (Book hotel's index) mean the same: Restate's `from` is K - 1.

The trap: a kept entry whose effect the original invocation later undid. A saga that failed and
compensated cancelled its flight; restarted from "Book hotel", the new invocation keeps "Book
flight" as done and never books it again, while the world says it is cancelled. It is spotted by
name (an undo verb on the same object: "Cancel flight" after "Book flight"), with the ledger's
lines as the world's evidence ("flight.cancel").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from restate_play.errors import PlayError
from restate_play.restate.records import JournalEntry

UNDO_WORDS = frozenset(
    [
        "cancel",
        "cancelled",
        "undo",
        "refund",
        "refunded",
        "revert",
        "rollback",
        "compensate",
        "release",
        "delete",
        "remove",
        "void",
        "reverse",
        "unbook",
        "unreserve",
        "unlock",
    ]
)
FILLER = frozenset(["the", "a", "an", "of", "for", "to"])
_WORD = re.compile(r"[a-z0-9]+")


class LedgerLine(Protocol):
    """What a plan reads of a world ledger entry (restate_play.world.ledger.LedgerEntry)."""

    action: str
    args: dict[str, Any]
    invocation: str | None


@dataclass(frozen=True)
class Step:
    index: int
    label: str  # "Run [Book flight]"
    name: str  # "Book flight" (or the type, for unnamed entries)

    @classmethod
    def of(cls, entry: JournalEntry) -> Step:
        return cls(entry.index, f"{entry.type}" + (f" [{entry.name}]" if entry.name else ""), described(entry))


@dataclass(frozen=True)
class Trap:
    kept: Step  # kept as done in the new invocation
    undone_by: Step  # the original's later entry that undid it (a compensation)
    world: tuple[str, ...] = ()  # the ledger's lines that say so, e.g. "flight.cancel customer=12345"

    def sentence(self) -> str:
        said = f"; the world ledger says: {', '.join(self.world)}" if self.world else ""
        return (
            f"'{self.kept.name}' (#{self.kept.index}) is kept as done, but the original invocation later ran "
            f"'{self.undone_by.name}' (#{self.undone_by.index}), a compensation that cancelled it{said}. "
            f"The new invocation believes it still holds, and will not run it again."
        )


@dataclass(frozen=True)
class RestartPlan:
    invocation_id: str
    restart_at: int  # the first entry that runs again
    kept: tuple[Step, ...]
    rerun: tuple[Step, ...]  # what the original did from there (the new code decides what runs now)
    traps: tuple[Trap, ...] = field(default_factory=tuple)

    @property
    def restate_from(self) -> int:
        """Restate's `from` query parameter: the last kept entry (0 keeps only the input)."""
        return max(self.restart_at - 1, 0)

    @property
    def safe_from(self) -> int | None:
        """Where a restart sets no trap: before the first kept entry that was undone."""
        return min(t.kept.index for t in self.traps) if self.traps else None

    def advice(self) -> str | None:
        if not self.traps:
            return None
        first = min(self.traps, key=lambda t: t.kept.index).kept
        return (
            f"Restart from #{first.index} ('{first.name}', before the first booking that was undone) or from 0 "
            "(start over): those steps then run again and the new journal matches the world."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "invocation_id": self.invocation_id,
            "restart_at": self.restart_at,
            "restate_from": self.restate_from,
            "kept": [asdict(s) for s in self.kept],
            "rerun": [asdict(s) for s in self.rerun],
            "traps": [{**asdict(t), "sentence": t.sentence()} for t in self.traps],
            "safe_from": self.safe_from,
            "advice": self.advice(),
        }


def described(entry: JournalEntry) -> str:
    """A step in words: its name, else its type and target (an unnamed call: "Call Payments/refund")."""
    target = entry.detail.get("target")
    return entry.name or (f"{entry.type} {target}" if target else entry.type)


def commands(journal: Iterable[JournalEntry]) -> list[JournalEntry]:
    """The handler's own steps (no input, no output, no results)."""
    return [e for e in journal if e.kind == "Command" and e.type not in ("Input", "Output")]


def entry_index(journal: Sequence[JournalEntry], spec: str) -> int:
    """`--from` as typed: an index (0 = start over), or a step's name, `name#2` for its second occurrence."""
    spec = spec.strip()
    last = max((e.index for e in journal), default=0)
    if spec.isdigit():
        index = int(spec)
        if index > last:
            raise PlayError(
                f"Entry {index} is past the journal: its last entry is #{last}.",
                f"Give an index from 0 to {last}, or a step's name ({_names(journal)}).",
            )
        return index
    name, _, nth_text = spec.rpartition("#") if re.search(r"#\d+$", spec) else (spec, "", "1")
    nth = int(nth_text)
    steps = commands(journal)
    for fold in (False, True):  # the exact name first, then ignoring case
        same = [e for e in steps if _same(e.name or e.type, name, fold)]
        if same:
            if nth > len(same) or nth < 1:
                raise PlayError(
                    f"'{name}' occurs {len(same)}× in the journal, so there is no '{name}#{nth}'.",
                    f"Use '{name}' (the first) up to '{name}#{len(same)}', or an index.",
                )
            return same[nth - 1].index
    raise PlayError(f"No step named '{name}' in the journal.", f"Its steps: {_names(journal)}; or give an index.")


def _same(a: str, b: str, fold: bool) -> bool:
    return a.casefold() == b.casefold() if fold else a == b


def _names(journal: Sequence[JournalEntry]) -> str:
    names = [f"#{e.index} {e.name or e.type}" for e in commands(journal)]
    return ", ".join(names) or "none"


def plan(
    invocation_id: str, journal: Sequence[JournalEntry], restart_at: int, ledger: Iterable[LedgerLine] = ()
) -> RestartPlan:
    steps = commands(journal)
    kept = [e for e in steps if e.index < restart_at]
    rerun = [e for e in steps if e.index >= restart_at]
    world = [line for line in ledger if line.invocation == invocation_id]
    return RestartPlan(
        invocation_id,
        restart_at,
        tuple(Step.of(e) for e in kept),
        tuple(Step.of(e) for e in rerun),
        tuple(sorted(traps(kept, rerun, world), key=lambda t: t.kept.index)),
    )


def words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


def undone_object(name: str) -> set[str]:
    """What an undo step undoes ("Cancel flight" → {"flight"}); empty for a step that undoes nothing."""
    ws = words(name)
    return ws - UNDO_WORDS - FILLER if ws & UNDO_WORDS else set()


def traps(kept: Sequence[JournalEntry], rerun: Sequence[JournalEntry], world: Sequence[LedgerLine]) -> list[Trap]:
    """Kept entries that a later entry of the original undid (each kept entry named once)."""
    found: list[Trap] = []
    for undo in rerun:
        obj = undone_object(described(undo))
        if not obj:
            continue
        for done in kept:
            name = described(done)
            if obj <= words(name) and not undone_object(name) and all(t.kept.index != done.index for t in found):
                found.append(Trap(Step.of(done), Step.of(undo), _evidence(obj, world)))
    return found


def _evidence(obj: set[str], world: Sequence[LedgerLine]) -> tuple[str, ...]:
    """The ledger's undo lines about the same object ("flight.cancel customer=12345")."""
    lines = []
    for line in world:
        ws = set(re.split(r"[._\-\s]+", line.action.casefold()))
        if ws & UNDO_WORDS and ws & obj:
            args = " ".join(f"{k}={v}" for k, v in line.args.items())
            lines.append(f"{line.action} {args}".strip())
    return tuple(dict.fromkeys(lines))
