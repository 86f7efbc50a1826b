"""The JSON Schema and the reference come from the registry, ship in step with it, and agree with the loader."""

import json
import tomllib
from pathlib import Path

import jsonschema
import pytest

from restate_play.paths import scenarios_dir
from restate_play.scenario.actions import REGISTRY
from restate_play.scenario.reference import markdown
from restate_play.scenario.schema import SCHEMA_FILE, scenario_schema, schema_text

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted(p for p in scenarios_dir().rglob("*.toml") if not p.name.endswith(".chaos.toml"))


def validator() -> jsonschema.Draft7Validator:
    schema = scenario_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_shipped_schema_and_docs_are_generated_from_the_registry():
    assert (scenarios_dir() / SCHEMA_FILE).read_text() == schema_text(), (
        "run: restate-play scenario schema > scenarios/scenario.schema.json"
    )
    assert (REPO / "docs" / "scenarios.md").read_text() == markdown(), (
        "run: restate-play scenario reference > docs/scenarios.md"
    )


def test_every_action_is_a_step_alternative_requiring_its_key():
    schema = scenario_schema()
    alternatives = [
        schema["$defs"][ref["$ref"].rsplit("/", 1)[-1]] for ref in schema["properties"]["step"]["items"]["anyOf"]
    ]
    assert [alt["title"] for alt in alternatives] == [f"[[step]] {name}" for name in REGISTRY]
    for name, alt in zip(REGISTRY, alternatives, strict=True):
        assert name in alt["required"] and alt["additionalProperties"] is False and alt["description"]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(scenarios_dir())))
def test_shipped_scenarios_name_the_schema_and_validate_against_it(path):
    text = path.read_text()
    target = (path.parent / text.splitlines()[0].removeprefix("#:schema ").strip()).resolve()
    assert text.startswith("#:schema ") and target == (scenarios_dir() / SCHEMA_FILE).resolve()
    errors = [e.message for e in validator().iter_errors(tomllib.loads(text))]
    assert not errors, errors


@pytest.mark.parametrize(
    "text",
    [
        '[[steps]]\ncall = "S/h"\n',
        '[[step]]\ncall = "S/h"\nstauts = 200\n',
        '[[step]]\ncrash = "database"\n',
        '[[step]]\nexpect_ledger = { action = "a", count = "3" }\n',
        '[[step]]\nwait = "soon"\n',
    ],
)
def test_the_schema_rejects_what_the_loader_rejects(text):
    assert list(validator().iter_errors(tomllib.loads(text)))


def test_the_schema_is_json_editors_can_read():
    json.loads(schema_text())  # the file editors fetch
    assert scenario_schema()["$schema"].startswith("http://json-schema.org/draft-07")
