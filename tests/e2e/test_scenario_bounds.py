"""Nothing waits for ever: a step whose invocation backs off, pauses or suspends ends within its bound,
and the failed check says, in words, what the invocation was doing."""

from __future__ import annotations

import time

import pytest
from conftest import REPO, run_json, write_scenario

pytestmark = pytest.mark.e2e

TRIP = (
    'body = { customerId = "9", flights = { flightId = "X1", passengerName = "N" }, '
    'car = { pickupLocation = "A", rentalDate = "2025-01-01" }, '
    'hotel = { arrivalDate = "2025-01-01", departureDate = "2025-01-02" } }\n'
)
CAR_NEVER_ANSWERS = '[world.faults]\n"car.book:9" = 1000000\n'


def failed_checks(result: dict) -> list[dict]:
    return [c for c in result["expectations"] if not c["passed"]]


def test_a_call_backing_off_ends_at_its_bound_with_the_attempts_and_error(tmp_path):
    scenario = write_scenario(
        tmp_path,
        CAR_NEVER_ANSWERS
        + '[[step]]\ncall = "BookingWorkflow/run"\ntimeout = 4\n'
        + TRIP
        + "expect = { status = 200 }\n",
        "forever.toml",
    )
    started = time.monotonic()
    code, result = run_json("run", "sagas", "--scenario", str(scenario))
    assert code == 1 and not result["passed"]
    assert result["timings"]["scenario"] < 4 + 3, result["timings"]  # the bound, plus finding the invocation
    (check,) = failed_checks(result)
    assert check["description"] == "call BookingWorkflow/run is answered within 4 s"
    detail = check["detail"]
    # Backing off, or (under load) caught running its next attempt: either way the retries and the error.
    retrying = "backing-off: Restate is retrying it, attempt" in detail or "failed attempts; the last failed" in detail
    assert retrying and "car.book API unavailable" in detail, detail
    assert "Traceback" not in detail and time.monotonic() - started < 60


def test_a_paused_invocation_is_named_with_its_attempts_and_the_resume_command(tmp_path):
    config = tmp_path / "restate.toml"
    config.write_text((REPO / "restate.toml").read_text().replace("max-attempts = 200", "max-attempts = 3"))
    scenario = write_scenario(
        tmp_path,
        CAR_NEVER_ANSWERS
        + '[[step]]\ncall = "BookingWorkflow/run"\nas = "trip"\nbackground = true\n'
        + TRIP
        + '[[step]]\nwait_for = "trip"\ntimeout = 6\n',
        "paused.toml",
    )
    code, result = run_json("run", "sagas", "--scenario", str(scenario), env={"RESTATE_PLAY_CONFIG": str(config)})
    assert code == 1
    check = next(c for c in failed_checks(result) if c["description"] == "'trip' completes within 6 s")
    assert "is paused: Restate paused it" in check["detail"] and "car.book API unavailable" in check["detail"]
    assert "restate-play invocations resume inv_" in check["detail"]


def test_a_suspended_invocation_says_what_it_waits_on(tmp_path):
    # An awaiter of a promise nobody completes: it registered with the promise's object (a call) and
    # waits on an awakeable; after the server's inactivity timeout (5 s) it is suspended.
    scenario = write_scenario(
        tmp_path,
        '[[step]]\ncall = "durablePromiseServer/await"\nas = "awaiter"\nbackground = true\n'
        'body = { request = { promiseName = "never" } }\n'
        '[[step]]\nwait_for = "awaiter"\ntimeout = 8\n',
        "suspended.toml",
    )
    code, result = run_json("run", "durable-promises", "--scenario", str(scenario))
    assert code == 1
    check = next(c for c in failed_checks(result) if c["description"] == "'awaiter' completes within 8 s")
    detail = check["detail"]
    assert "is suspended, waiting on an awakeable or a signal from outside" in detail, detail
    assert "its last journal entry is 'Call durablePromise/never/await'" in detail
    # Waited out once: the end of the run does not wait for the same request again (was +30 s).
    assert result["timings"]["scenario"] < 8 + 6, result["timings"]


def test_a_scenario_timeout_bounds_every_step(tmp_path):
    scenario = write_scenario(
        tmp_path,
        "timeout = 3\n" + CAR_NEVER_ANSWERS + '[[step]]\ncall = "BookingWorkflow/run"\n' + TRIP,
        "scenario-bound.toml",
    )
    code, result = run_json("run", "sagas", "--scenario", str(scenario))
    assert code == 1 and failed_checks(result)[0]["description"].endswith("is answered within 3 s")
