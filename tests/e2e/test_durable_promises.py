"""Durable Promises as a Service: the document's curl lines, and awaiters in separate processes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest
from conftest import REPO, cli

from restate_play.patterns.catalog import get_pattern
from restate_play.patterns.durable_promises import PromiseRejected, durable_promise
from restate_play.waiting import eventually

pytestmark = pytest.mark.e2e

BARACK = {"name": "Barack", "email": "b@whitehouse.gov"}

AWAITER = """
import json, sys
from restate_play.patterns.durable_promises import durable_promise
print("waiting", flush=True)
print(json.dumps(durable_promise(sys.argv[1], sys.argv[2]).get()), flush=True)
"""


def _wait_registered(s, promise: str, listeners: int, timeout: float = 20) -> None:
    """Until the promise's object knows `listeners` awaiters (its state holds their awakeable ids)."""
    env = {"XDG_STATE_HOME": s.env["XDG_STATE_HOME"]}

    def state() -> dict | None:
        proc = cli("state", "get", "durablePromise", promise, "--json", env=env)
        return json.loads(proc.stdout)["state"] if proc.returncode == 0 else None

    eventually(
        state,
        until=lambda got: got is not None and len(got.get("listeners") or []) == listeners,
        timeout=timeout,
        interval=0.2,
        what=f"{promise} to have {listeners} listener(s)",
    )


def test_document_curls_and_awaiters_in_other_processes(serve):
    s = serve("durable-promises")
    peek, await_, resolve, reject = get_pattern("durable-promises").curls
    assert s.curl(peek).strip() == "null"

    # The document's `await` blocks until someone completes prom-1: run it beside the rest.
    awaited: list[str] = []
    curl_waiter = threading.Thread(target=lambda: awaited.append(s.curl(await_)))
    curl_waiter.start()
    _wait_registered(s, "prom-1", 1)
    assert json.loads(s.curl(resolve)) == {"value": BARACK}
    curl_waiter.join(20)
    assert awaited and json.loads(awaited[0]) == {"value": BARACK}
    # The first completion stands: the document's reject returns the value.
    assert json.loads(s.curl(reject)) == {"value": BARACK}

    # Two separate Python processes await the same promise through the Python API.
    url = f"http://localhost:{s.ingress}"
    procs = [
        subprocess.Popen([sys.executable, "-c", AWAITER, url, "shared"], stdout=subprocess.PIPE, text=True, cwd=REPO)
        for _ in range(2)
    ]
    try:
        _wait_registered(s, "shared", 2)
        promise = durable_promise(url, "shared")
        assert promise.peek() is None
        assert promise.resolve({"n": 1}) == {"n": 1}
        outs = [p.communicate(timeout=20)[0].splitlines() for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert [out[-1] for out in outs] == ['{"n": 1}', '{"n": 1}']
    assert all(p.returncode == 0 for p in procs)

    # After completion: get at once, later completions return the first value.
    assert promise.get() == {"n": 1}
    assert promise.resolve({"n": 2}) == {"n": 1}
    assert promise.reject("too late") == {"n": 1}
    assert promise.peek() == {"n": 1}

    rejected = durable_promise(url, "rejected")
    with pytest.raises(PromiseRejected, match="help!"):
        rejected.reject("help!")
    with pytest.raises(PromiseRejected, match="help!"):
        rejected.resolve("later")
    with pytest.raises(PromiseRejected, match="help!"):
        rejected.get()
    assert s.stop() == 130


def test_scenario_records(default_run):
    code, result = default_run("durable-promises")
    assert code == 0, [c for c in result["expectations"] if not c["passed"]]
    awaits = [i for i in result["invocations"] if i["target"] == "durablePromiseServer/await"]
    assert len(awaits) == 4 and all(i["status"] == "completed" for i in awaits)
    # Each awaiter suspended on an awakeable that the resolver completed (a Signal in its journal).
    for inv in awaits:
        assert any(e["type"] == "Signal" for e in inv["journal"] if e["kind"] == "Notification"), inv["journal"]
    assert result["timings"]["restart_service"] > 0
