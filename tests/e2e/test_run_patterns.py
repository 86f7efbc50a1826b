"""Each available pattern's default scenario, end to end against a real restate-server.

`restate-play run <pattern> --json` must pass its own expectations, show real records (journals,
state, ledger), and leave no process or port behind.
"""

from __future__ import annotations

import pytest
from conftest import pid_gone, run_json

from restate_play.patterns.catalog import available_patterns
from restate_play.sandbox.ports import port_in_use

pytestmark = pytest.mark.e2e


def assert_clean(result: dict) -> None:
    """The run's processes are gone and their ports free (a shared server stays: it is not the run's)."""
    sb = result["sandbox"]
    ports = [sb["service"]["port"], *sb["service"]["client_ports"]]
    assert pid_gone(sb["service"]["pid"])
    if sb["shared_server"]:
        assert not pid_gone(sb["server"]["pid"]), "the run stopped the shared server"
    else:
        assert pid_gone(sb["server"]["pid"])
        ports += [sb["server"]["ingress"], sb["server"]["admin"]]
    for port in ports:
        assert not port_in_use(port), f"port {port} still bound"


@pytest.mark.parametrize("slug", [p.slug for p in available_patterns() if not p.needs], ids=str)
def test_default_scenario_passes(slug, default_run, shared_server):
    code, result = default_run(slug)
    failed = [c for c in result["expectations"] if not c["passed"]]
    assert code == 0 and result["passed"], f"failed expectations: {failed}, error: {result['error']}"
    assert result["pattern"] == slug and result["invocations"]
    assert all(inv["journal"] for inv in result["invocations"])
    # Played on the session's shared server: a fresh deployment and a clean slate for the pattern,
    # since the run counts its own invocations and state, which leftovers would break.
    assert result["sandbox"]["shared_server"] and result["sandbox"]["server"]["pid"] == shared_server["pid"]
    assert_clean(result)


def test_a_proxy_in_the_environment_is_not_used(shared_server):
    """Loopback only: a user's HTTP_PROXY must not take the playground's or the services' requests.

    durable-rpc's client app calls the ingress from the service process, and the run itself talks
    to the admin API and the ingress: all of them would fail through this proxy, which nobody serves.
    """
    proxy = "http://127.0.0.1:9"
    env = {**shared_server["env"], "HTTP_PROXY": proxy, "http_proxy": proxy, "ALL_PROXY": proxy, "all_proxy": proxy}
    code, result = run_json("run", "durable-rpc", env=env)
    failed = [c for c in result["expectations"] if not c["passed"]]
    assert code == 0 and result["passed"], f"failed expectations: {failed}, error: {result['error']}"
    assert result["sandbox"]["shared_server"]  # found through the admin API, not through the proxy
    assert_clean(result)


def test_failed_expectation_fails_the_run(restate_binary, isolated_state, tmp_path):
    broken = tmp_path / "wrong.toml"
    broken.write_text(
        'title = "a wrong expectation"\n'
        "[[step]]\n"
        'call = "machineOperator/m1/setUp"\n'
        'expect = { status = 200, body = "m1 is now down" }\n'
    )
    code, result = run_json("run", "stateful-actors", "--scenario", str(broken))
    assert code == 1 and result["passed"] is False
    (check,) = result["expectations"]
    assert not check["passed"] and "m1 is now up" in check["detail"]
    assert_clean(result)
