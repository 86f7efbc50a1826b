"""The work cron jobs trigger (the Cron Jobs example's task stub): each run is an external action."""

from __future__ import annotations

from typing import Any

from restate_play.world import ledger


def execute_task(target: str, payload: Any) -> None:
    """Do the scheduled task: here, record it in the ledger and log it like the document's stub."""
    ledger.record("task.executed", target=target, payload=payload)
    print(f"Executing task: {payload}", flush=True)
