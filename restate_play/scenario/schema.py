"""The scenario format as a JSON Schema, generated from the action registry (editors complete and check)."""

from __future__ import annotations

import json
from typing import Any

from pydantic.json_schema import models_json_schema

from restate_play.scenario.actions import REGISTRY

SCHEMA_FILE = "scenario.schema.json"  # shipped in scenarios/, named by each scenario's `#:schema` line


def scenario_schema() -> dict[str, Any]:
    from restate_play.scenario.model import Header

    models = [(Header, "validation"), *((cls, "validation") for cls in REGISTRY.values())]
    refs, combined = models_json_schema(models, ref_template="#/$defs/{model}", by_alias=True)
    defs: dict[str, Any] = combined["$defs"]
    steps = []
    for name, cls in REGISTRY.items():
        ref = refs[(cls, "validation")]["$ref"]
        action = defs[ref.rsplit("/", 1)[-1]]
        action["title"] = f"[[step]] {name}"
        action["description"] = cls.summary + (f"\n\nExample:\n{cls.example}" if cls.example else "")
        action["required"] = sorted(set(action.get("required", [])) | {name})
        steps.append({"$ref": ref})
    items = defs["Parallel"]["properties"]["parallel"]["items"]
    items["oneOf"].append({"type": "string", "description": 'Shorthand for { call = "Service/handler" }.'})
    header = defs.pop(refs[(Header, "validation")]["$ref"].rsplit("/", 1)[-1])
    header["properties"]["step"] = {
        "type": "array",
        "minItems": 1,
        "description": header["properties"]["step"].get("description", ""),
        "items": {"anyOf": steps},
    }
    return _without_null(
        {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "title": "restate-play scenario",
            "description": "Scripted traffic for restate-play: `restate-play scenario actions` lists the actions.",
            **{k: v for k, v in header.items() if k not in ("title",)},
            "$defs": defs,
        }
    )


def _without_null(node: Any) -> Any:
    """TOML has no null: `X | None` fields are just optional, so drop the null alternatives."""
    if isinstance(node, list):
        return [_without_null(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _without_null(v) for k, v in node.items() if not (k == "default" and v is None)}
    options = node.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}]
        node.pop("anyOf")
        node = {**rest[0], **node} if len(rest) == 1 else {**node, "anyOf": rest}
    return node


def schema_text() -> str:
    return json.dumps(scenario_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # python -m restate_play.scenario.schema > scenarios/scenario.schema.json
    print(schema_text(), end="")
