"""The scenario reference, generated from the action registry: `scenario actions` and docs/scenarios.md."""

from __future__ import annotations

from typing import Any

from restate_play.scenario.actions import REGISTRY
from restate_play.scenario.schema import scenario_schema

COMMON = ("say",)  # fields every action has: described once


def _type(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    if "enum" in prop:
        return " or ".join(repr(v) for v in prop["enum"])
    if "const" in prop:
        return repr(prop["const"])
    if "$ref" in prop:
        return "table"
    if "anyOf" in prop or "oneOf" in prop:
        kinds = (_type(p, defs) for p in prop.get("anyOf", prop.get("oneOf", [])))
        return " or ".join(dict.fromkeys(kinds))  # a markdown table cell: no '|'; each kind once
    kind = prop.get("type", "any")
    if kind == "array":
        return f"list of {_type(prop.get('items', {}), defs)}"
    if kind == "object":
        return "table"
    return {"number": "number", "integer": "integer", "string": "string", "boolean": "bool"}.get(kind, kind)


def fields(name: str) -> list[tuple[str, str, str, str]]:
    """(field, type, default or 'required', description) of an action, its table's fields nested as a.b."""
    schema = scenario_schema()
    defs = schema["$defs"]
    rows = _rows(defs[REGISTRY[name].__name__], defs, "")
    return sorted(rows, key=lambda row: row[0].split(".")[0] != name)  # the action's own key first


def _rows(model: dict[str, Any], defs: dict[str, Any], prefix: str) -> list[tuple[str, str, str, str]]:
    rows = []
    required = set(model.get("required", []))
    for key, prop in model.get("properties", {}).items():
        if not prefix and key in COMMON:
            continue
        default = "required" if key in required else _default(prop)
        rows.append((prefix + key, _type(prop, defs), default, prop.get("description", "")))
        nested = prop.get("$ref")
        if nested and key != "expect":  # `expect` is described once, below the actions
            rows += _rows(defs[nested.rsplit("/", 1)[-1]], defs, prefix + key + ".")
    return rows


def _default(prop: dict[str, Any]) -> str:
    if "default" not in prop:
        return ""
    value = prop["default"]
    return {True: "true", False: "false"}.get(value, repr(value)) if isinstance(value, bool) else repr(value)


def action_lines(name: str, with_example: bool = False) -> list[str]:
    """One action as plain lines: its summary, then a line per field."""
    cls = REGISTRY[name]
    lines = [f"{name}: {cls.summary}"]
    for field, kind, default, desc in fields(name):
        flag = " (required)" if default == "required" else (f" = {default}" if default else "")
        lines.append(f"    {field}: {kind}{flag} — {desc}")
    if with_example and cls.example:
        lines += ["", "Example:", "[[step]]", *cls.example.splitlines()]
    return lines


def actions_text() -> list[str]:
    """Plain lines for `restate-play scenario actions`: one block per action."""
    lines = [line for name in REGISTRY for line in [*action_lines(name), ""]]
    return [*lines, "Every step may also have `say` (narration shown when it starts)."]


def markdown() -> str:
    """docs/scenarios.md: what `restate-play scenario reference` prints; a test keeps the file in step."""
    out = [
        "# Scenario reference",
        "",
        "<!-- Generated from the action registry: `restate-play scenario reference > docs/scenarios.md`. -->",
        "",
        "A scenario is a TOML file: a few top-level keys, then `[[step]]` tables played in order. Each step",
        "has exactly one action key (`call = …`, `crash = …`, `expect_ledger = { … }`); `say` alone is",
        "narration, and with an action it is that step's heading. Start a file with",
        "`#:schema ./scenario.schema.json` and editors that follow taplo's directive (Even Better TOML)",
        "complete fields and underline mistakes as you type. `restate-play scenario check FILE` validates",
        "without starting anything.",
        "",
        "Every step that waits has a bound: its own `timeout`, else the scenario's top-level `timeout`,",
        "else the action's default. When it runs out, the check fails with what the invocation was doing",
        "(backing off with its last error, paused after N attempts, waiting on a timer or a call).",
        "",
        "## Top-level keys",
        "",
        "| key | type | default | meaning |",
        "|---|---|---|---|",
    ]
    schema = scenario_schema()
    for key, prop in schema["properties"].items():
        default = "required" if key in schema.get("required", []) else _default(prop)
        out.append(f"| `{key}` | {_type(prop, schema['$defs'])} | {default} | {prop.get('description', '')} |")
    out += ["", "## Actions", "", "| action | what it does |", "|---|---|"]
    out += [f"| [`{name}`](#{name}) | {cls.summary} |" for name, cls in REGISTRY.items()]
    for name, cls in REGISTRY.items():
        out += ["", f"### {name}", "", cls.summary, ""]
        if cls.example:
            out += ["```toml", "[[step]]", cls.example, "```", ""]
        out += ["| field | type | default | meaning |", "|---|---|---|---|"]
        out += [f"| `{f}` | {k} | {d} | {m} |" for f, k, d, m in fields(name)]
    out += ["", "### expect (on call, send, attach)", "", "| field | type | meaning |", "|---|---|---|"]
    expect = schema["$defs"]["Expect"]["properties"]
    out += [f"| `{k}` | {_type(p, schema['$defs'])} | {p.get('description', '')} |" for k, p in expect.items()]
    return "\n".join(out).replace("|  |", "| |") + "\n"
