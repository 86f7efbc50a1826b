"""The dashboard reuses unchanged panels from frame to frame, and draws exactly what it would anew."""

from __future__ import annotations

from rich.console import Console

from restate_play.restate.records import Invocation, JournalEntry, StateEntry
from restate_play.views.dashboard import dashboard
from restate_play.views.tables import Fit, fit_widths, invocation_table
from restate_play.world.ledger import LedgerEntry


def frame(invocations, journals, state, ledger, cache=None) -> str:
    console = Console(width=150, height=40, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(dashboard("t", ["event"], invocations, journals, state, ledger, ["log"], "f", 40, cache=cache))
    return console.export_text()


def records(n: int, status: str = "running"):
    invocations = [
        Invocation(f"inv_{i}", f"product/p{i}/reserve", "product", "reserve", f"p{i}", status) for i in range(n)
    ]
    journals = {
        inv.id: [JournalEntry(0, "Command", "Input"), JournalEntry(1, "Command", "Run", "reserve")]
        for inv in invocations
    }
    state = [StateEntry("product", f"p{i}", "reserved", "true") for i in range(n)]
    ledger = [LedgerEntry(i, 1_700_000_000.0 + i, "stock.reserve", {"product": f"p{i}"}) for i in range(n)]
    return invocations, journals, state, ledger


def test_reused_panels_draw_what_a_fresh_frame_draws():
    cache: dict = {}
    invocations, journals, state, ledger = records(3)
    first = frame(invocations, journals, state, ledger, cache)
    assert set(cache) == {"journals", "invocations", "state", "ledger"}
    kept = dict(cache)
    assert frame(invocations, journals, state, ledger, cache) == first  # all four reused…
    assert all(cache[name] is kept[name] for name in kept)  # …not laid out again
    # Something changes in each panel: the cached frame must show it, as a fresh one does.
    invocations2, journals2, state2, ledger2 = records(4, status="completed")
    journals2["inv_0"].append(JournalEntry(2, "Command", "Output"))
    changed = frame(invocations2, journals2, state2, ledger2, cache)
    assert changed == frame(invocations2, journals2, state2, ledger2)
    assert changed != first and "p3" in changed and "completed" in changed
    assert all(cache[name] is not kept[name] for name in kept)
    # Only the journal grew: the other panels are reused.
    again = dict(cache)
    journals2["inv_1"].append(JournalEntry(2, "Command", "Output"))
    frame(invocations2, journals2, state2, ledger2, cache)
    assert cache["journals"] is not again["journals"] and cache["state"] is again["state"]


def test_narrow_panels_drop_columns_instead_of_squeezing_them():
    """At 80–200 columns the side panels show whole headers and values, never zero-width columns."""
    invocations, journals, state, ledger = records(3, status="completed")
    for width in (80, 100, 160, 200):
        console = Console(width=width, height=40, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
        console.print(dashboard("t", ["e"], invocations, journals, state, ledger, ["log"], "f", 40, cache={}))
        text = console.export_text()
        assert "┃┃" not in text and "╇╇" not in text, f"a column squeezed to nothing at {width} columns"
        for shown in ("target", "status", "completed", "key", "name", "value", "reserved", "true", "stock.rese"):
            assert shown in text, f"{shown!r} missing at {width} columns"


def test_fit_widths_drops_the_least_kept_columns_first():
    columns = [Fit("a", 10, 5, 3), Fit("b", 20, 8, 1), Fit("c", 6, 6, 2)]
    assert fit_widths(100, columns) == {"a": 10, "c": 6, "b": 20}  # all, at their natural width
    assert fit_widths(5 + 6 + 8 + 6, columns) == {"a": 5, "c": 6, "b": 8}  # all, at their least width
    assert fit_widths(5 + 6 + 3 + 4, columns) == {"a": 9, "c": 6}  # b goes first; a gets the spare
    assert fit_widths(3, columns) == {"a": 5}  # the most kept stays, even too wide
    headers = [c.header for c in invocation_table(records(2)[0], width=40).columns]
    assert headers == ["target", "status", "journal"]
    assert [c.header for c in invocation_table(records(2)[0], width=90).columns][0] == "id"
