"""The batching example's real destination: whatever consumes a batch (a bulk API, a warehouse load).

Each delivered batch is recorded in the ledger with its items, so a run can check that every item
arrived exactly once, in order, and in batches of the expected sizes.
"""

from __future__ import annotations

from typing import Any

from restate_play.world import ledger


def process(key: str, items: list[Any]) -> None:
    ledger.record("batch.received", key=key, size=len(items), items=items)
    print(f"Received batch: {{ items: {items} }}", flush=True)
