"""The dashboard reuses unchanged panels from frame to frame, and draws exactly what it would anew."""

from __future__ import annotations

from rich.console import Console

from restate_play.restate.records import Invocation, JournalEntry, StateEntry
from restate_play.views.dashboard import dashboard
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
