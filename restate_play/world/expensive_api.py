"""An expensive downstream API (the Rate Limiting example's protected call): each call is recorded."""

from __future__ import annotations

from restate_play.world import ledger


def call(limiter: str) -> None:
    """One call of the expensive API, made on behalf of the given limiter's caller."""
    ledger.record("expensive.call", limiter=limiter)
    print("expensive!", flush=True)
