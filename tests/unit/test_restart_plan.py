"""The pure parts of fixing forward: --from lookup, the restart plan, and the compensation trap."""

from __future__ import annotations

import pytest

from restate_play.errors import PlayError
from restate_play.restate.records import JournalEntry
from restate_play.restate.restart_plan import entry_index, plan, undone_object
from restate_play.world.ledger import LedgerEntry

INV = "inv_1original"


def _run(index: int, name: str) -> JournalEntry:
    return JournalEntry(index, "Command", "Run", name, completion_id=index, completed=True)


def _result(index: int, of: int) -> JournalEntry:
    return JournalEntry(index, "Notification", "Run", "", completion_id=of, result="success")


def saga(compensated: bool = True) -> list[JournalEntry]:
    """The sagas pattern's failed trip: three bookings, then (when it compensated) three cancels."""
    entries = [JournalEntry(0, "Command", "Input")]
    names = ["Book flight", "Book car", "Book hotel"]
    names += ["Cancel hotel", "Cancel car", "Cancel flight"] if compensated else []
    for i, name in enumerate(names):
        entries += [_run(1 + 2 * i, name), _result(2 + 2 * i, 1 + 2 * i)]
    return entries + [JournalEntry(len(entries), "Command", "Output", result="failure")]


def _ledger(*actions: str) -> list[LedgerEntry]:
    return [LedgerEntry(i, 0.0, a, {"customer": "12345"}, INV) for i, a in enumerate(actions, 1)]


def test_from_by_name_index_and_occurrence() -> None:
    journal = saga() + [_run(14, "Book hotel"), _result(15, 14)]
    assert entry_index(journal, "Book hotel") == 5
    assert entry_index(journal, "book hotel") == 5  # case is forgiven when nothing matches exactly
    assert entry_index(journal, "Book hotel#2") == 14
    assert entry_index(journal, "5") == 5
    assert entry_index(journal, "0") == 0


def test_from_errors_say_what_exists() -> None:
    journal = saga()
    with pytest.raises(PlayError, match=r"past the journal: its last entry is #13") as past:
        entry_index(journal, "14")
    assert "0 to 13" in (past.value.hint or "")
    with pytest.raises(PlayError, match="No step named 'Book boat'") as unknown:
        entry_index(journal, "Book boat")
    assert "#5 Book hotel" in (unknown.value.hint or "")
    with pytest.raises(PlayError, match=r"occurs 1× .* no 'Book car#2'"):
        entry_index(journal, "Book car#2")


def test_plan_keeps_entries_before_the_restart_point() -> None:
    p = plan(INV, saga(), 5)
    assert [s.name for s in p.kept] == ["Book flight", "Book car"]
    assert [s.name for s in p.rerun] == ["Book hotel", "Cancel hotel", "Cancel car", "Cancel flight"]
    assert p.restate_from == 4  # Restate keeps 0…from included
    assert plan(INV, saga(), 0).restate_from == 0 and not plan(INV, saga(), 0).kept


def test_a_notification_index_keeps_its_command() -> None:
    p = plan(INV, saga(), 4)  # #4 is Book car's result: Book car is kept with it
    assert [s.name for s in p.kept] == ["Book flight", "Book car"]
    assert p.rerun[0].name == "Book hotel"


def test_trap_named_with_the_ledger_as_evidence() -> None:
    ledger = _ledger("flight.book", "car.book", "hotel.rejected", "hotel.cancel", "car.cancel", "flight.cancel")
    p = plan(INV, saga(), 5, ledger)
    assert [(t.kept.name, t.undone_by.name) for t in p.traps] == [
        ("Book flight", "Cancel flight"),
        ("Book car", "Cancel car"),
    ]
    assert p.traps[0].world == ("flight.cancel customer=12345",)
    assert "compensation" in p.traps[0].sentence()
    assert p.safe_from == 1
    assert "from 0" in (p.advice() or "") and "#1" in (p.advice() or "")


def test_no_trap_without_a_later_compensation() -> None:
    assert not plan(INV, saga(compensated=False), 5).traps  # it did not compensate: keeping is right
    assert not plan(INV, saga(), 0).traps  # start over: nothing kept
    assert not plan(INV, saga(), 12).traps  # the cancels are kept too: the journal matches the world


def test_ledger_of_other_invocations_is_not_evidence() -> None:
    others = [LedgerEntry(1, 0.0, "flight.cancel", {}, "inv_someone_else")]
    assert plan(INV, saga(), 5, others).traps[0].world == ()


@pytest.mark.parametrize(
    ("name", "undone"),
    [("Cancel flight", {"flight"}), ("Refund payment", {"payment"}), ("Book flight", set()), ("Cancel", set())],
)
def test_what_an_undo_step_undoes(name: str, undone: set[str]) -> None:
    assert undone_object(name) == undone


def _render(renderable) -> str:
    from rich.console import Console

    console = Console(width=200, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_views_link_a_restarted_invocation_and_mark_its_kept_entries() -> None:
    from restate_play.restate.records import Invocation
    from restate_play.views.journal import journal_tree
    from restate_play.views.journal_text import describe_lines

    created = "2026-12-01T10:00:05.000Z"
    inv = Invocation("inv_1new", "BookingWorkflow/run", "BookingWorkflow", "run", None, "completed", created)
    inv = inv._replace(restarted_from=INV)
    # Entries before #5 were copied from the original (appended before the restart), the rest ran after it.
    journal = [e._replace(appended_at="2026-12-01T10:00:0" + ("0" if e.index < 5 else "6") + ".000Z") for e in saga()]
    lines = _render(journal_tree(inv, journal)).splitlines()
    assert f"restarted from {INV}" in lines[0]
    assert [("↺ kept" in line) for line in lines if "Run [" in line] == [True, True] + [False] * 4
    described = "\n".join(line.plain for line in describe_lines(inv, journal, [], 200))
    assert described.count("kept from the original") == 3  # input, flight, car
    assert "kept" not in _render(journal_tree(inv._replace(restarted_from=None), journal))


def test_an_unnamed_call_that_refunds_undoes_the_charge() -> None:
    def call(index: int, target: str) -> JournalEntry:
        return JournalEntry(
            index, "Command", "Call", "", completion_id=index, completed=True, detail={"target": target}
        )

    journal = [
        JournalEntry(0, "Command", "Input"),
        call(1, "Payments/charge"),
        _run(3, "Ship"),
        call(5, "Payments/refund"),
    ]
    (trap,) = plan(INV, journal, 3).traps
    assert (trap.kept.name, trap.undone_by.name) == ("Call Payments/charge", "Call Payments/refund")
