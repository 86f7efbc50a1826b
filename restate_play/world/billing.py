"""Emulated billing back office for the Scheduling Tasks example: reminder emails and the support desk."""

from __future__ import annotations

from typing import Any

from restate_play.world import ledger


def send_reminder_email(invoice: str, event: dict[str, Any]) -> None:
    data = event.get("data", {})
    ledger.record("email.reminder", invoice=invoice, event=data.get("id"), customer=data.get("customer"))
    print(f"Sending reminder email for event: {data.get('id')}", flush=True)


def escalate_to_support(invoice: str, event: dict[str, Any]) -> None:
    data = event.get("data", {})
    ledger.record("support.escalated", invoice=invoice, event=data.get("id"), customer=data.get("customer"))
    print(f"Escalating to {data.get('id')} invoice to support team", flush=True)
