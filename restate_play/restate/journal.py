"""Decoding journal v2 rows (`sys_journal`) into JournalEntry records.

`entry_json` carries payloads as arrays of byte values; we turn them into text, keep the useful
details (call targets, state keys, wake-up times, awakeable ids) and mark each command complete
when a notification with its completion id exists.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from restate_play.restate.records import JournalEntry, JournalEvent, bytes_to_text


def _result(res: Any) -> tuple[str | None, str | None, str | None]:
    """(result, value, failure) from a v2 result field."""
    if res is None:
        return None, None, None
    if res == "Void" or res == {"Void": None}:
        return "void", None, None
    if isinstance(res, dict):
        if "Success" in res:
            return "success", bytes_to_text(res["Success"]), None
        if "Failure" in res:
            f = res["Failure"] or {}
            return "failure", None, f"[{f.get('code')}] {f.get('message', '')}"
        if "StateKeys" in res:
            return "success", json.dumps(res["StateKeys"]), None
    return None, None, None


def _target(request: dict[str, Any]) -> str:
    target = request.get("invocation_target") or {}
    for kind, t in target.items():
        if not isinstance(t, dict):
            continue
        name, handler, key = t.get("name"), t.get("handler"), t.get("key")
        return f"{name}/{key}/{handler}" if key is not None and kind != "Service" else f"{name}/{handler}"
    return "?"


def _ms_to_iso(ms: int | None) -> str | None:
    if not ms:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def decode_row(row: dict[str, Any]) -> JournalEntry:
    index = int(row["index"])
    entry_type = row.get("entry_type", "")
    kind, _, ty = entry_type.partition(": ")
    appended = row.get("appended_at")
    name = row.get("name") or ""
    raw = row.get("entry_json") or row.get("entry_lite_json")
    try:
        doc = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        doc = {}
    if not ty:  # v1 journals or unknown shapes: keep the server's label
        return JournalEntry(index, "Entry", entry_type or "?", name, appended_at=appended)

    if "Command" in doc:
        ((cty, body),) = doc["Command"].items() if doc["Command"] else (("?", {}),)
        body = body or {}
        detail: dict[str, Any] = {}
        value = failure = result = None
        if cty in ("Call", "OneWayCall"):
            req = body.get("request") or {}
            detail["target"] = _target(req)
            detail["invocation_id"] = req.get("invocation_id")
            value = bytes_to_text(req.get("parameter"))
            if req.get("idempotency_key"):
                detail["idempotency_key"] = req["idempotency_key"]
            if body.get("invoke_time"):
                detail["invoke_at"] = _ms_to_iso(body["invoke_time"])
        elif cty == "Sleep":
            detail["wake_up_at"] = _ms_to_iso(body.get("wake_up_time"))
        elif cty in ("SetState", "GetState", "GetEagerState", "ClearState", "GetLazyState", "GetEagerStateKeys"):
            if "key" in body:
                detail["key"] = body["key"]
            if "value" in body:
                value = bytes_to_text(body["value"])
            result, rvalue, failure = _result(body.get("result"))
            value = value if value is not None else rvalue
        elif cty == "Input":
            value = bytes_to_text(body.get("payload"))
        elif cty in ("Output", "CompleteAwakeable", "CompletePromise", "GetPromise", "PeekPromise"):
            result, value, failure = _result(body.get("result") or body.get("completion"))
            for k in ("id", "key"):
                if k in body:
                    detail[k] = body[k]
        elif cty in ("AttachInvocation", "GetInvocationOutput", "SendSignal"):
            detail.update({k: v for k, v in body.items() if isinstance(v, str | int) and k != "name"})
        cid = body.get("completion_id")
        if cid is None:  # calls carry two: the callee's invocation id, then its result
            cid = body.get("result_completion_id", body.get("invocation_id_completion_id"))
        return JournalEntry(
            index, "Command", cty, name or body.get("name") or "", cid, result, value, failure, appended, detail
        )

    if "Notification" in doc:
        note = doc["Notification"] or {}
        if "Completion" in note:
            ((nty, body),) = note["Completion"].items()
            body = body or {}
            result, value, failure = _result(body.get("result"))
            detail = {}
            if nty == "CallInvocationId":
                detail["invocation_id"] = body.get("invocation_id")
                result = "success"
            if nty == "Sleep":
                result = "success"
            return JournalEntry(
                index, "Notification", nty, "", body.get("completion_id"), result, value, failure, appended, detail
            )
        if "Signal" in note:
            body = note["Signal"] or {}
            result, value, failure = _result(body.get("result"))
            return JournalEntry(
                index, "Notification", "Signal", "", None, result, value, failure, appended, {"signal": body.get("id")}
            )
    return JournalEntry(index, kind, ty, name, appended_at=appended)


_ALWAYS_COMPLETE = {
    "Input",
    "Output",
    "SetState",
    "ClearState",
    "ClearAllState",
    "CompleteAwakeable",
    "CompletePromise",
    "SendSignal",
    "GetEagerState",
    "GetEagerStateKeys",
    "OneWayCall",
}


def mark_completed(entries: Iterable[JournalEntry]) -> list[JournalEntry]:
    """A command is complete when it needs no answer, or a notification with its completion id exists."""
    entries = sorted(entries, key=lambda e: e.index)
    done = {e.completion_id for e in entries if e.kind == "Notification" and e.completion_id is not None}
    out = []
    for e in entries:
        if e.kind == "Command":
            complete = e.type in _ALWAYS_COMPLETE or (e.completion_id is not None and e.completion_id in done)
            if complete != e.completed:
                e = e._replace(completed=complete)
        out.append(e)
    return out


def decode_journal(rows: Iterable[dict[str, Any]]) -> list[JournalEntry]:
    return mark_completed(decode_row(r) for r in rows)


def results_by_completion(entries: Iterable[JournalEntry]) -> dict[int, JournalEntry]:
    return {e.completion_id: e for e in entries if e.kind == "Notification" and e.completion_id is not None}


def decode_event(row: dict[str, Any]) -> JournalEvent:
    raw = row.get("event_json") or "{}"
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError:
        doc = {}
    return JournalEvent(int(row.get("index", 0) or 0), row.get("event_type", "?"), row.get("appended_at"), doc)
