"""Stateful Actors: the document's curl lines against `serve`, then `state get` and `invocations` on them.

`kill`/`restart` from another shell use this pattern too (test_crash.py).
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import cli

from restate_play.patterns.catalog import get_pattern
from restate_play.waiting import eventually

pytestmark = pytest.mark.e2e


def test_stateful_actors_document_curls_and_state_commands(serve):
    s = serve("stateful-actors")
    single, *concurrent = get_pattern("stateful-actors").curls
    assert "my-machine is now up" in s.curl(single)
    for line in concurrent:
        s.curl(line)  # each backgrounds itself, as in the document
    env = {"XDG_STATE_HOME": s.env["XDG_STATE_HOME"]}

    def states() -> dict:
        got = {}
        for key in ("a", "b"):
            proc = cli("state", "get", "machineOperator", key, "--json", env=env, check=True)
            got[key] = json.loads(proc.stdout)["state"].get("state")
        return got

    eventually(
        states,
        until=lambda got: got == {"a": "DOWN", "b": "DOWN"},
        timeout=90,
        interval=0.5,
        ignore=(AssertionError,),  # `state get` exits 2 until the object has state
        what="a, b DOWN",
    )
    # `state get` found the running serve by itself; the table form looks like `restate kv get`.
    table = cli("state", "get", "machineOperator", "a", env=env, check=True).stdout
    assert re.search(r"Service\s+machineOperator", table) and re.search(r"state\s+│?\s*\"DOWN\"", table)
    listing = json.loads(
        cli("invocations", "list", "--service", "machineOperator", "--json", env=env, check=True).stdout
    )
    assert len([i for i in listing if i["target"].startswith("machineOperator/")]) >= 6
    tear_down_b = next(i for i in listing if i["target"] == "machineOperator/b/tearDown")
    described = json.loads(cli("invocations", "describe", tear_down_b["id"], "--json", env=env, check=True).stdout)
    steps = [e["name"] for e in described["journal"] if e["kind"] == "Command" and e["type"] in ("Run", "Sleep")]
    assert steps == ["Begin DOWN", "Transition to DOWN", "Done DOWN"], described["journal"]
    tree = cli("invocations", "describe", tear_down_b["id"], env=env, check=True).stdout
    assert "Begin DOWN" in tree and "Sleep" in tree
    s.stop()
