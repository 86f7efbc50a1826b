"""`scenario new`'s starting file: one call per handler, bodies from JSON Schemas, valid as written."""

from __future__ import annotations

from restate_play.scenario.model import load
from restate_play.scenario.starter import starter_scenario

SERVICES = [
    {
        "name": "BookingWorkflow",
        "ty": "Service",
        "handlers": [
            {
                "name": "run",
                "input_json_schema": {
                    "properties": {"customerId": {"type": "string"}, "car": {"$ref": "#/$defs/Car"}},
                    "$defs": {"Car": {"properties": {"days": {"type": "integer"}, "extra": {"type": "boolean"}}}},
                },
            }
        ],
    },
    {"name": "machineOperator", "ty": "VirtualObject", "handlers": [{"name": "status", "ty": "Shared"}]},
]


def test_one_call_per_handler_with_keys_and_schema_bodies(tmp_path):
    text = starter_scenario("trip", SERVICES)
    path = tmp_path / "scenario.toml"
    path.write_text(text)
    scenario = load(path)  # valid as written: the learner edits a file that already loads
    calls = [(s.call, getattr(s, "body", None)) for s in scenario.steps]
    assert calls == [
        ("BookingWorkflow/run", {"customerId": "…", "car": {"days": 0, "extra": False}}),
        ("machineOperator/key1/status", None),
    ]
    assert text.startswith("#:schema ./scenario.schema.json") and "shared: runs beside the others" in text


def test_no_handlers_still_loads(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(starter_scenario("empty", []))
    assert len(load(path).steps) == 1
