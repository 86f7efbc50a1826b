"""Typed records read from Restate's SQL introspection.

NamedTuples, not dataclasses: `dataclasses` imports `inspect` and builds each class's methods with
`exec`, ~20 ms that the lookups (`state get`, `invocations list|describe`) run without. Immutable,
typed, `_replace`d and `_asdict`ed as dataclasses would be.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple


def bytes_to_text(data: list[int] | bytes | None) -> str | None:
    """Payload bytes as text: UTF-8 when it is, hex otherwise."""
    if data is None:
        return None
    raw = bytes(data)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + raw.hex()


def pretty_value(text: str | None) -> Any:
    """JSON values parsed (for pretty printing); anything else kept as text."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return text


class Invocation(NamedTuple):
    id: str
    target: str
    service: str
    handler: str
    key: str | None
    status: str
    created_at: str | None = None
    modified_at: str | None = None
    completed_at: str | None = None
    retry_count: int = 0
    last_failure: str | None = None
    last_failure_error_code: str | None = None
    next_retry_at: str | None = None
    completion_result: str | None = None  # "success" | "failure"
    completion_failure: str | None = None
    idempotency_key: str | None = None
    invoked_by: str | None = None
    invoked_by_id: str | None = None
    journal_size: int = 0
    scheduled_start_at: str | None = None
    restarted_from: str | None = None  # restart-as-new: the invocation it was started again from

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Invocation:
        return cls(
            id=row["id"],
            target=row.get("target", ""),
            service=row.get("target_service_name", ""),
            handler=row.get("target_handler_name", ""),
            key=row.get("target_service_key"),
            status=row.get("status", "?"),
            created_at=row.get("created_at"),
            modified_at=row.get("modified_at"),
            completed_at=row.get("completed_at"),
            retry_count=int(row.get("retry_count") or 0),
            last_failure=row.get("last_failure"),
            last_failure_error_code=row.get("last_failure_error_code"),
            next_retry_at=row.get("next_retry_at"),
            completion_result=row.get("completion_result"),
            completion_failure=row.get("completion_failure"),
            idempotency_key=row.get("idempotency_key"),
            invoked_by=row.get("invoked_by"),
            invoked_by_id=row.get("invoked_by_id"),
            journal_size=int(row.get("journal_size") or 0),
            scheduled_start_at=row.get("scheduled_start_at"),
            restarted_from=row.get("restarted_from"),
        )

    @property
    def done(self) -> bool:
        return self.status == "completed"

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


class JournalEntry(NamedTuple):
    """One journal entry, decoded: a command (what the handler did) or a notification (a result)."""

    index: int
    kind: str  # "Command" | "Notification" | "Event"
    type: str  # "Run", "Sleep", "Call", "OneWayCall", "SetState", "Input", "Output", "Signal", …
    name: str = ""
    completion_id: int | None = None
    result: str | None = None  # "success" | "failure" | "void" (notifications, outputs)
    value: str | None = None  # payload as text
    failure: str | None = None  # "[code] message"
    appended_at: str | None = None
    detail: dict[str, Any] = {}  # noqa: RUF012  target, key, wake-up time, awakeable id… (shared: never mutated)
    completed: bool = False  # commands: a matching notification exists (set by the decoder)

    @property
    def label(self) -> str:
        return f"{self.kind}: {self.type}" + (f" [{self.name}]" if self.name else "")

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


class StateEntry(NamedTuple):
    service: str
    key: str  # object key
    name: str  # state key
    value: str | None  # UTF-8 text, or 0x-hex when not text

    @property
    def is_json(self) -> bool:
        if self.value is None:
            return False
        try:
            json.loads(self.value)
            return True
        except json.JSONDecodeError:
            return False

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "key": self.key,
            "name": self.name,
            "value": pretty_value(self.value) if self.is_json else self.value,
            "json": self.is_json,
        }


class JournalEvent(NamedTuple):
    """A journal event (transient error, pause…): where retries show up."""

    index: int
    type: str
    appended_at: str | None
    detail: dict[str, Any] = {}  # noqa: RUF012  (shared: never mutated)

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()
