"""Cron Jobs: the document's curl lines against `serve`, and the default scenario's records."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime

import pytest
from conftest import cli

from restate_play.patterns.catalog import get_pattern
from restate_play.waiting import eventually

pytestmark = pytest.mark.e2e

CREATED = re.compile(r"Job created with ID ([\w-]+) and next execution time (\S+)\"")


def test_cron_document_curls(serve):
    s = serve("cron")
    every_minute, at_midnight, get_info, cancel = get_pattern("cron").curls

    minute_job, minute_next = CREATED.search(s.curl(every_minute)).groups()
    midnight_job, midnight_next = CREATED.search(s.curl(at_midnight)).groups()
    assert minute_job != midnight_job
    assert datetime.fromisoformat(minute_next).second == 0
    assert datetime.fromisoformat(midnight_next).strftime("%H:%M:%S") == "00:00:00"

    # The document's `<myJobId>` is the id the create call answered with.
    info = json.loads(s.curl(get_info.replace("<myJobId>", minute_job)))
    assert info["request"] == {
        "cronExpression": "* * * * *",
        "service": "TaskService",
        "method": "executeTask",
        "payload": "Hello new minute!",
    }
    assert info["next_execution_time"] == minute_next and info["next_execution_id"].startswith("inv_")

    assert s.curl(cancel.replace("<myJobId>", minute_job)) == ""
    assert s.curl(get_info.replace("<myJobId>", minute_job)) == ""  # the job is gone
    assert json.loads(s.curl(get_info.replace("<myJobId>", midnight_job)))["request"]["payload"] == "Hello midnight!"
    s.stop()


def test_cron_second_level_job_on_a_virtual_object_under_serve(serve):
    s = serve("cron")
    create = (
        'curl localhost:8080/CronJobInitiator/create --json \'{"cronExpression": "* * * * * *", '
        '"service": "TaskObject", "method": "executeTask", "key": "k1", "payload": "Hello second!"}\''
    )
    job = CREATED.search(s.curl(create)).group(1)
    env = {"XDG_STATE_HOME": s.env["XDG_STATE_HOME"]}
    eventually(
        lambda: json.loads(cli("state", "get", "TaskObject", "k1", "--json", env=env, check=True).stdout)["state"],
        until=lambda state: (state.get("runs") or 0) >= 2,
        timeout=15,
        interval=0.5,
        ignore=(AssertionError,),  # `state get` exits 2 while k1 has no state yet
        what="TaskObject k1 run twice by the second-level job",
    )
    assert "Executing task: Hello second!" in s.output()
    assert s.curl(f"curl localhost:8080/CronJob/{job}/cancel") == ""
    time.sleep(0.5)  # a task sent just before the cancel may still land
    after_cancel = json.loads(cli("state", "get", "TaskObject", "k1", "--json", env=env, check=True).stdout)
    time.sleep(2.5)
    later = json.loads(cli("state", "get", "TaskObject", "k1", "--json", env=env, check=True).stdout)
    assert later["state"]["runs"] == after_cancel["state"]["runs"]
    s.stop()


def test_cron_scenario_records(default_run):
    code, result = default_run("cron")
    assert code == 0 and result["passed"], result["expectations"]
    tasks = [e for e in result["ledger"] if e["action"] == "task.executed"]
    by_target = {t: [e for e in tasks if e["args"]["target"] == t] for t in ("TaskService", "TaskObject/reports")}
    assert len(by_target["TaskService"]) >= 3 and len(by_target["TaskObject/reports"]) >= 2
    # Each task ran in its own invocation of the target, started by the job's `execute`.
    targets = {i["id"]: i["target"] for i in result["invocations"]}
    assert {targets[e["invocation"]] for e in tasks} == {"TaskService/executeTask", "TaskObject/reports/executeTask"}
    executes = [i for i in result["invocations"] if i["target"].endswith("/execute")]
    assert executes and all(i["completion_result"] == "success" for i in executes if i["status"] == "completed")
    assert result["timings"]["scenario"] < 15
