"""Against a real `serve stateful-actors`: ids as prefixes (describe, cancel, kill), ambiguous and
unknown prefixes, `state get` of what does not exist, and the cancel warning on a crash-looping call."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import cli

from restate_play.waiting import eventually

pytestmark = pytest.mark.e2e


def test_prefixes_errors_and_the_cancel_warning(serve):
    s = serve("stateful-actors")
    env = {"XDG_STATE_HOME": s.env["XDG_STATE_HOME"], "COLUMNS": "80"}
    admin = ["--admin-url", f"http://127.0.0.1:{s.admin}"]
    assert "a is now up" in s.curl("curl -X POST localhost:8080/machineOperator/a/setUp")
    assert "b is now up" in s.curl("curl -X POST localhost:8080/machineOperator/b/setUp")

    listing = cli("invocations", "list", *admin, env=env, check=True).stdout
    assert "…" not in listing and "completed" in listing and "machineOperator/a/setUp" in listing
    found = json.loads(cli("invocations", "list", "--json", *admin, env=env, check=True).stdout)
    full = next(i["id"] for i in found if i["target"] == "machineOperator/a/setUp")
    shown = next(word for word in listing.split() if full.startswith(word) and word.startswith("inv_"))

    # The prefix the table shows pastes back: same record as the whole id, and a timeline in words.
    by_prefix = json.loads(cli("invocations", "describe", shown, "--json", *admin, env=env, check=True).stdout)
    by_id = json.loads(cli("invocations", "describe", full, "--json", *admin, env=env, check=True).stdout)
    assert by_prefix["id"] == full and by_prefix["journal"] == by_id["journal"]
    text = cli("invocations", "describe", shown, *admin, env=env, check=True).stdout
    assert full in text and "Begin UP" in text and " ms" in text and "hence the gaps" in " ".join(text.split())

    # The three lookups draw their text without rich, typer or argparse (issue #13 point 7: speed).
    lookups = (["state", "get", "machineOperator", "a"], ["invocations", "list"], ["invocations", "describe", shown])
    for lookup in lookups:
        loaded = imported(*lookup, *admin, env=env)
        assert not {"rich", "typer", "argparse", "httpx"} & loaded, f"{lookup}: {sorted(loaded)}"

    ambiguous = cli("invocations", "describe", "inv_", *admin, env=env)
    assert ambiguous.returncode == 2 and "ambiguous" in ambiguous.stderr and full in ambiguous.stderr
    unknown = cli("invocations", "describe", "inv_zzzzzzzzzzzz", "--json", *admin, env=env)
    assert unknown.returncode == 2 and json.loads(unknown.stdout)["error"].startswith("No invocation inv_zzz")

    no_service = cli("state", "get", "nosuchservice", "a", *admin, env=env)
    assert no_service.returncode == 2 and "machineOperator" in no_service.stderr
    no_key = json.loads(cli("state", "get", "machineOperator", "zz", "--json", *admin, env=env).stdout)
    assert "machineOperator/zz" in no_key["error"] and "a, b" in no_key["hint"]

    # With the service down, a call backs off before its first await: cancel says it may never land.
    assert json.loads(cli("kill", "service", "--json", env=env, check=True).stdout)["ok"]
    sent = json.loads(s.curl("curl -X POST localhost:8080/machineOperator/k1/setUp/send"))["invocationId"]
    eventually(
        lambda: json.loads(cli("invocations", "describe", sent[:16], "--json", *admin, env=env, check=True).stdout),
        until=lambda inv: inv["status"] == "backing-off",
        timeout=20,
        interval=0.3,
        what=f"{sent} backing off while the service is down",
    )
    story = " ".join(cli("invocations", "describe", sent[:16], *admin, env=env, check=True).stdout.split())
    assert "attempt failed: RT0010 (network error reaching the service" in story and "retries so far" in story
    cancel = cli("invocations", "cancel", sent[:16], *admin, env=env, check=True)
    warning = " ".join(cancel.stdout.split())
    assert sent in warning and "next await" in warning and f"invocations kill {sent}" in warning
    cli("invocations", "kill", sent[:16], *admin, env=env, check=True)
    eventually(
        lambda: json.loads(cli("invocations", "describe", sent, "--json", *admin, env=env, check=True).stdout),
        until=lambda inv: inv["status"] == "completed",
        timeout=20,
        interval=0.3,
        what=f"{sent} killed",
    )
    s.stop()


def imported(*args: str, env: dict[str, str]) -> set[str]:
    """The modules a lookup drawing its text imports (`-X importtime`): the fast path's promise."""
    cmd = [sys.executable, "-X", "importtime", "-m", "restate_play", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env={**os.environ, **env})
    assert proc.returncode == 0 and proc.stdout.strip(), proc.stderr[-2000:]
    return {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time")}
