"""A starting scenario written from the services a deployment registered (`restate-play scenario new`).

One call per handler, with a body drawn from the handler's JSON Schema when it has one, an expected
status, and comments saying what to add. The file is a start, to be edited: it checks only that each
handler answers, which is what a scenario should then go beyond.
"""

from __future__ import annotations

import json
from typing import Any

EXAMPLE_KEY = "key1"  # the object key (Virtual Object) or workflow id in the calls it writes
HEADER = """#:schema ./scenario.schema.json
title = "What {name} promises"
description = \"\"\"
Written by `restate-play scenario new` from the handlers {name} registered. Each call only checks that
the handler answers: give each a body it expects, then say what must hold after it (expect_state,
expect_journal, expect_ledger…), and add a crash step where a crash would hurt
(`restate-play scenario actions` lists them all, with examples).
\"\"\"
"""


def starter_scenario(name: str, services: list[dict[str, Any]]) -> str:
    """The TOML text: a header, then one [[step]] per handler of every service, in their order."""
    parts = [HEADER.format(name=name)]
    for service in services:
        for handler in service.get("handlers", []):
            parts.append(_step(service, handler))
    if len(parts) == 1:
        parts.append('[[step]]\nsay = "The deployment registered no handlers: add calls here."\n')
    return "\n".join(parts)


def _step(service: dict[str, Any], handler: dict[str, Any]) -> str:
    kind, svc, name = service.get("ty", "Service"), service["name"], handler["name"]
    target = f"{svc}/{name}" if kind == "Service" else f"{svc}/{EXAMPLE_KEY}/{name}"
    lines = ["[[step]]", f'say = "{_what(kind, handler)}"', f'call = "{target}"']
    body = _example(handler.get("input_json_schema"))
    if body is not None:
        lines.append(f"body = {_toml(body)}")
    elif "json" in str(handler.get("input_description", "")).lower():
        lines.append("# body = { … }   its input is JSON: give it what it expects")
    lines.append("expect = { status = 200 }")
    return "\n".join(lines) + "\n"


def _what(kind: str, handler: dict[str, Any]) -> str:
    if kind == "Service":
        return f"Call {handler['name']}"
    shared = " (shared: runs beside the others)" if handler.get("ty") == "Shared" else ""
    return f"Call {handler['name']} on key '{EXAMPLE_KEY}'{shared}"


def _example(schema: Any, depth: int = 0) -> Any:
    """A value of the schema's shape: placeholders a person replaces, not data that means anything."""
    if not isinstance(schema, dict) or depth > 4:
        return None
    if "properties" in schema:
        defs = schema.get("$defs", {})
        values = {k: _example(_deref(v, defs), depth + 1) for k, v in schema["properties"].items()}
        return {k: "" if v is None else v for k, v in values.items()}
    return {"string": "…", "integer": 0, "number": 0, "boolean": False, "array": []}.get(schema.get("type"))


def _deref(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    resolved = defs.get(ref.rsplit("/", 1)[-1], schema) if ref else schema
    return {**resolved, "$defs": defs} if "properties" in resolved else resolved


def _toml(value: Any) -> str:
    """An inline TOML value (strings as JSON strings, which TOML basic strings accept)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_toml(v)}" for k, v in value.items()) + " }" if value else "{}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)
