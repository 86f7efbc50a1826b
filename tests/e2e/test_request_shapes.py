"""A request of the wrong shape is answered at once with a 400 naming the field, and is not retried.

Against a real `restate-play serve <slug>`: the ingress answers within seconds, and the invocation
is completed as failed in `sys_invocation` (never backing off).
"""

from __future__ import annotations

import time

import httpx
import pytest
from conftest import run_json

from restate_play.waiting import eventually

pytestmark = pytest.mark.e2e

# (slug, target, body or None for no body at all, words the answer must contain)
CASES = {
    "sagas": [
        ("BookingWorkflow/run", None, ["customerId is missing", "flights is missing", '"flights": {"flightId"']),
        (
            "BookingWorkflow/run",
            {"customerId": "1", "flights": {"flightId": "F1"}, "car": {}, "hotel": {}},
            ["flights.passengerName is missing", "car.pickupLocation is missing"],
        ),
    ],
    "payment-state-machines": [
        ("payments/p1/makePayment", {"accountId": "abc", "amount": "lots"}, ["amount: input should be a valid"]),
    ],
    "message-queue": [("asyncTaskWorker/runTask", {"id": "t1"}, ["task is missing"])],
    "concurrent-tasks": [("EmailVerification/verifyEmail", [1, 2], ["input should be an object", '"userId"'])],
}


def _post(ingress: int, target: str, body) -> tuple[httpx.Response, float]:
    start = time.monotonic()
    kwargs = {} if body is None else {"json": body}
    resp = httpx.post(f"http://127.0.0.1:{ingress}/{target}", timeout=10, trust_env=False, **kwargs)
    return resp, time.monotonic() - start


def _sql(admin: int, query: str) -> list[dict]:
    resp = httpx.post(
        f"http://127.0.0.1:{admin}/query",
        json={"query": query},
        headers={"accept": "application/json"},
        timeout=10,
        trust_env=False,
    )
    resp.raise_for_status()
    return resp.json()["rows"]


@pytest.mark.parametrize("slug", list(CASES))
def test_wrong_body_is_a_400_naming_the_field_and_not_retried(serve, slug):
    s = serve(slug)
    answers: dict[str, set[str]] = {}
    for target, body, words in CASES[slug]:
        resp, took = _post(s.ingress, target, body)
        assert resp.status_code == 400, resp.text
        assert took < 5, f"answered after {took:.1f} s"
        message = resp.json()["message"]
        for word in words:
            assert word in message, message
        answers.setdefault(target, set()).add(message)
    for target, messages in answers.items():
        columns = "id, status, completion_result, completion_failure"
        query = f"SELECT {columns} FROM sys_invocation WHERE target = '{target}'"
        rows = eventually(lambda q=query: _sql(s.admin, q), what=f"{target} in sys_invocation", until=bool, timeout=10)
        assert len(rows) == len(messages), rows
        for row in rows:
            assert (row["status"], row["completion_result"]) == ("completed", "failure"), row
            assert row["completion_failure"] in {f"[400] {m}" for m in messages}, row
        # Answered by the first attempt: no transient error was ever recorded (nothing retried).
        ids = ", ".join(f"'{row['id']}'" for row in rows)
        retried = _sql(s.admin, f"SELECT id, event_type FROM sys_journal_events WHERE id IN ({ids})")
        assert not [e for e in retried if "Transient" in str(e.get("event_type"))], retried
    s.stop()


def test_the_issues_one_line_scenario_ends_at_once_with_the_400(tmp_path, isolated_state):
    """`[[step]] call = "BookingWorkflow/run"` with no body used to be retried 200 times and hang the run."""
    scenario = tmp_path / "one-line.toml"
    scenario.write_text('[[step]]\ncall = "BookingWorkflow/run"\n')
    start = time.monotonic()
    _, result = run_json("run", "sagas", "--scenario", str(scenario), timeout=90)
    (request,) = result["requests"]
    assert request["status"] == 400 and request["elapsed"] < 5, request
    assert "flights is missing" in request["body"]["message"]
    assert time.monotonic() - start < 60
