"""Rate Limiting: the document's curl lines against `serve`, and the default scenario's records."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from conftest import cli

from restate_play.patterns.catalog import get_pattern
from restate_play.world import ledger

pytestmark = pytest.mark.e2e


@pytest.mark.alone  # one request per second, measured
def test_rate_limiting_document_curls(serve):
    s = serve("rate-limiting")
    set_rate, send_one, send_lots = get_pattern("rate-limiting").curls
    ledger_file = Path(s.sandbox["state_file"]).parent / "ledger.jsonl"

    # Before any rate is set, the limiter lets nothing through.
    assert "would exceed the limiter's burst" in s.curl(send_one)

    assert s.curl(set_rate) == ""
    env = {"XDG_STATE_HOME": s.env["XDG_STATE_HOME"]}
    got = cli("state", "get", "limiter", "myService-expensiveMethod", "--json", env=env, check=True)
    bucket = json.loads(got.stdout)["state"]["state"]
    assert bucket["limit"] == 1 and bucket["burst"] == 1

    # "only one request is processed per second": three in a row take two more seconds after the first.
    for _ in range(3):
        assert s.curl(send_one) == ""
    calls = [e.ts for e in ledger.read(ledger_file) if e.action == "expensive.call"]
    assert len(calls) == 3
    assert all(0.85 <= b - a <= 1.5 for a, b in zip(calls, calls[1:], strict=False)), calls
    assert "expensive!" in s.wait_output("expensive!")  # the document's log line

    # "You can then try changing the limit or the burst": 20 per second with a burst of 5, then the loop.
    faster = set_rate.replace('{"newLimit": 1, "newBurst": 1}', '{"newLimit": 20, "newBurst": 5}')
    assert s.curl(faster) == ""
    time.sleep(0.3)  # the bucket fills up (5 tokens at 20 per second take 0.25 s)
    started = time.monotonic()
    out = s.curl(send_lots)
    took = time.monotonic() - started
    assert out.count("request completed") == 30
    loop = [e.ts for e in ledger.read(ledger_file) if e.action == "expensive.call"][3:]
    assert len(loop) == 30
    # A token bucket lets at most burst + rate × T calls through in any T seconds: 30 calls need
    # (30 - 5) / 20 = 1.25 s at least (less 0.1 s of timer jitter).
    assert loop[-1] - loop[0] >= (30 - 5) / 20 - 0.1, f"30 calls in {loop[-1] - loop[0]:.2f} s"
    assert took < 20
    s.stop()


def test_rate_limiting_scenario_records(default_run):
    code, result = default_run("rate-limiting")
    assert code == 0 and result["passed"], result["expectations"]
    calls = sorted(e["ts"] for e in result["ledger"] if e["action"] == "expensive.call")
    assert len(calls) == 12
    # The burst: three together; then 2 per second, so the other nine need about 4.5 s more.
    assert calls[2] - calls[0] < 0.3
    assert 9 / 2 * 0.85 <= calls[-1] - calls[2] <= 9 / 2 * 1.3
    # The throttled callers slept durably (a named Sleep in their journals); the burst did not.
    sleepers = [
        i
        for i in result["invocations"]
        if i["target"] == "myService/expensiveMethod"
        and any(e.get("name") == "Wait for the rate limiter" for e in i["journal"])
    ]
    assert len(sleepers) == 9
    assert result["timings"]["scenario"] < 15
