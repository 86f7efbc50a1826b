"""An emulated mail outbox: every email "sent" is a ledger entry (and a log line)."""

from __future__ import annotations

from typing import Any

from restate_play.world import ledger


def send_email(to: str, subject: str, **details: Any) -> None:
    ledger.record("email.sent", to=to, subject=subject, **details)
    print(f" >>> Sending email to '{to}': {subject}", flush=True)
