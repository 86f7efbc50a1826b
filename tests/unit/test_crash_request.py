"""`crash-demo --call/--body/--at`: the scenario it writes loads, and bad input is named."""

from __future__ import annotations

import json

import pytest

from restate_play.commands.crash_request import request_scenario
from restate_play.errors import PlayError

TRIP = {"customerId": "4711", "note": 'Ünïcode "quoted"'}


def test_a_body_from_a_file_and_the_crash_after_the_entry(tmp_path):
    (tmp_path / "trip.json").write_text(json.dumps(TRIP))
    scenario = request_scenario("BookingWorkflow/run", "@trip.json", "Book car", "service", tmp_path)
    call, crash = scenario.steps[0], scenario.steps[1]
    assert call.call == "BookingWorkflow/run" and json.loads(call.body_json) == TRIP and call.background
    assert (crash.crash, crash.after_entry, crash.of) == ("service", "Book car", "request")
    assert [s.action for s in scenario.steps[2:]] == ["wait_for", "expect_invocation"]


def test_inline_json_no_body_and_the_server(tmp_path):
    inline = request_scenario("Svc/k/h", '{"a": 1}', "Step", "server", tmp_path)
    assert json.loads(inline.steps[0].body_json) == {"a": 1} and inline.steps[1].crash == "server"
    assert request_scenario("Svc/h", None, "Step", "service", tmp_path).steps[0].body_json is None


@pytest.mark.parametrize(
    ("body", "at", "message"),
    [
        ("{not json", "Step", "--body: not JSON"),
        ("@missing.json", "Step", "cannot read"),
        ('{"a": 1}', None, "--call needs --at"),
    ],
)
def test_bad_input_says_what_to_do(tmp_path, body, at, message):
    with pytest.raises(PlayError, match=message):
        request_scenario("Svc/h", body, at, "service", tmp_path)
