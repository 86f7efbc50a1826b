"""`chaos` on the user's own code: a project made by `new` and a TypeScript service under seeded
SIGKILLs, with the scenario's requests as traffic and the invariants every service keeps."""

from __future__ import annotations

import pytest
from conftest import pid_gone
from test_other_languages import TSX, play_json, typescript_sagas  # noqa: F401 - the module's fixture
from test_own_code import restate_play

pytestmark = pytest.mark.e2e

TRAFFIC = """
title = "Trips under fire"

[[step]]
call = "BookingWorkflow/run"
idempotency_key = "trip-{{i}}"
body_json = '''{{"customerId": "c{{i}}", "flights": {{"flightId": "F{{i}}", "passengerName": "Ada"}},
  "car": {{"pickupLocation": "Airport", "rentalDate": "{arrival}"}},
  "hotel": {{"arrivalDate": "{arrival}", "departureDate": "2025-03-05"}}}}'''
expect = {{ status = 200 }}
"""


def chaos_json(*args: str, cwd) -> dict:
    return play_json("chaos", *args, "--requests", "24", "--kills", "2", "--seed", "3", cwd=cwd)


def test_a_new_project_keeps_every_services_promises_under_kills(isolated_state, tmp_path):
    project = tmp_path / "trip"
    assert restate_play("new", "sagas", str(project), cwd=tmp_path).returncode == 0
    (project / "traffic.toml").write_text(TRAFFIC.format(arrival="2025-03-01"))
    report = chaos_json(".", "--scenario", "traffic.toml", cwd=project)
    assert report["passed"], [i for i in report["invariants"] if not i["passed"]]
    assert report["completed"] == report["requests"] == 24 and report["kills_landed"] == 2
    names = {i["description"].split("]")[0].strip("[") for i in report["invariants"]}
    assert {"answered-as-expected", "one-invocation-per-idempotency-key"} <= names
    assert pid_gone(report["sandbox"]["service"]["pid"]) and pid_gone(report["sandbox"]["server"]["pid"])


def test_a_typescript_service_whose_answers_break_the_scenario_is_caught(typescript_sagas, isolated_state, tmp_path):  # noqa: F811
    (tmp_path / "traffic.toml").write_text(TRAFFIC.format(arrival="2024-12-16"))  # the fully booked hotel
    report = chaos_json("--service-cmd", TSX, "--scenario", str(tmp_path / "traffic.toml"), cwd=typescript_sagas)
    failed = {i["description"].split("]")[0].strip("["): i for i in report["invariants"] if not i["passed"]}
    assert not report["passed"] and list(failed) == ["answered-as-expected"], report["invariants"]
    assert "→ 500 from inv_" in failed["answered-as-expected"]["explanation"][0]
    assert "its step 1 expects 200" in failed["answered-as-expected"]["explanation"][0]
