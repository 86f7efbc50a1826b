"""Emulated mail server for the Concurrent Async Tasks example: verification emails and reminders.

Each mail carries the link the user clicks to verify: here, like in the source document's log, a curl
line that resolves the handler's awakeable through Restate's ingress.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from restate_play.world import ledger


def _click_line(awakeable_id: str) -> str:
    # The document prints localhost:8080; under the playground the ingress may be on another port.
    port = urlsplit(os.environ.get("RESTATE_INGRESS_URL", "http://localhost:8080")).port or 8080
    return f"Verify by clicking: curl http://localhost:{port}/restate/awakeables/{awakeable_id}/resolve --json 'true'"


def send_verification_email(email: str, awakeable_id: str) -> str:
    ledger.record("email.sent", to=email)
    print(f"Sending email to {email}", flush=True)
    print(_click_line(awakeable_id), flush=True)
    return "Email sent"


def send_reminder(email: str, awakeable_id: str) -> None:
    ledger.record("email.reminder", to=email)
    print(f"Sending reminder to {email}", flush=True)
    print(_click_line(awakeable_id), flush=True)
