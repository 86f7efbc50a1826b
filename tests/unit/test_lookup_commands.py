"""The lookups' fast path (quick.py) takes exactly the typer commands' options and stays light;
errors come as JSON with --json; id prefixes resolve or say why not; state-get errors name what exists."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from typing import get_args, get_type_hints

import pytest
import typer.main
from typer.testing import CliRunner

from restate_play import cli
from restate_play.commands.invocations import cancel_warning, pick_invocation
from restate_play.commands.state import unknown_object
from restate_play.errors import PlayError
from restate_play.quick import DEFAULTS, LOOKUPS, plain_lookup
from restate_play.restate.records import Invocation
from restate_play.sandbox.ports import free_ports

DEAD = "http://127.0.0.1:{}"


def test_fast_path_takes_the_typer_commands_options():
    group = typer.main.get_command(cli.app)
    for (sub, name), lookup in LOOKUPS.items():
        command = group.commands[sub].commands[name]
        arguments = [p.name for p in command.params if p.param_type_name == "argument"]
        assert tuple(arguments) == lookup.arguments, (sub, name)
        options = {p.opts[0]: p for p in command.params if p.param_type_name == "option"}
        assert set(options) == set(lookup.options), (sub, name)
        hints = get_type_hints(inspect.unwrap(command.callback))
        for flag, (dest, kind) in lookup.options.items():
            param = options[flag]
            assert param.name == dest and bool(param.is_flag) == (kind is bool), flag
            assert kind in (hints[dest], *get_args(hints[dest])), flag
            if param.default not in (None, False):
                assert DEFAULTS[dest] == param.default, flag


def test_only_plain_lookups_take_the_fast_path():
    lookup, params = plain_lookup(["invocations", "list", "--limit", "5", "--json", "--admin-url", "h:1"])
    assert lookup is LOOKUPS["invocations", "list"]
    assert params == {"service": None, "status": None, "limit": 5, "admin_url": "h:1", "as_json": True, "wide": False}
    assert plain_lookup(["state", "get", "svc", "k"])[1]["wide"] is False
    for typer_takes_it in (
        ["state", "get", "--help"],
        ["state", "get", "svc"],  # missing key: typer words the usage error
        ["state", "get", "svc", "k", "--bogus"],
        ["invocations", "list", "--limit", "many"],
        ["invocations", "list", "--lim", "5"],  # no abbreviations
        ["invocations", "cancel", "inv_1"],
        ["run", "sagas"],
        [],
    ):
        assert plain_lookup(typer_takes_it) is None, typer_takes_it


def test_fast_path_imports_neither_typer_nor_httpx_nor_pydantic_nor_rich_for_json():
    (port,) = free_ports(1)
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "restate_play", "state", "get", "s", "k", "--json",
         "--admin-url", DEAD.format(port)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    error = json.loads(proc.stdout)
    assert "Cannot reach the Restate admin API" in error["error"] and "serve" in error["hint"]
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    for heavy in (
        "typer",
        "httpx",
        "httpcore",
        "pydantic",
        "asyncio",
        "rich",
        "restate",
        "restate_play.sandbox.sandbox",
    ):
        assert heavy not in imported, f"{heavy} imported on the fast path"


def test_errors_are_json_on_stdout_with_json_both_paths():
    result = CliRunner().invoke(cli.app, ["invocations", "list", "--status", "bogus", "--json"])
    assert result.exit_code == 2
    error = json.loads(result.stdout)
    assert set(error) == {"error", "hint"}
    assert error["error"] == "Unknown status 'bogus'." and "backing-off" in error["hint"]
    proc = subprocess.run(
        [sys.executable, "-m", "restate_play", "invocations", "list", "--status", "bogus", "--json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2 and json.loads(proc.stdout) == json.loads(result.stdout)
    plain = CliRunner().invoke(cli.app, ["invocations", "list", "--status", "bogus"])
    assert plain.exit_code == 2 and "Unknown status" in plain.stderr and not plain.stdout.strip()


def inv(id_: str, status: str = "completed", retries: int = 0) -> Invocation:
    return Invocation(id_, "svc/k/run", "svc", "run", "k", status, retry_count=retries)


def test_prefix_resolution_unique_ambiguous_none():
    only = inv("inv_1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
    assert pick_invocation("inv_1aaa", [only], "http://x") is only
    with pytest.raises(PlayError) as none:
        pick_invocation("inv_1zzz", [], "http://x")
    assert "No invocation inv_1zzz" in none.value.message and "invocations list" in none.value.hint
    several = [inv(f"inv_1ab{i}aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") for i in range(12)]
    with pytest.raises(PlayError) as ambiguous:
        pick_invocation("inv_1ab", several, "http://x")
    message = ambiguous.value.message
    assert "ambiguous" in message and "10 or more" in message
    assert several[0].id in message and several[9].id in message and several[10].id not in message
    assert "more characters" in ambiguous.value.hint


def test_cancel_warns_when_the_invocation_is_failing_before_an_await():
    warning = cancel_warning(inv("inv_1", "backing-off", retries=4))
    assert "next await" in warning and "invocations kill inv_1" in warning and "4 retries" in warning
    assert cancel_warning(inv("inv_1", "suspended")) is None
    assert cancel_warning(inv("inv_1", "running")) is None


class FakeSql:
    """Answers the two queries `unknown_object` asks, from canned rows."""

    def __init__(self, services: list[dict], keys: list[str]):
        self.services, self.keys = services, keys

    def run(self, query):
        rows = self.services if "FROM sys_service" in query.sql else [{"service_key": k} for k in self.keys]
        return query.decode(rows)


SERVICES = [{"name": "machineOperator", "ty": "virtual_object"}, {"name": "Greeter", "ty": "service"}]


def test_state_get_unknown_service_names_the_services():
    err = unknown_object(FakeSql(SERVICES, []), "http://x", "nosuchservice", "a")
    assert "No service 'nosuchservice'" in err.message and "Greeter, machineOperator" in err.hint


def test_state_get_unknown_key_names_the_keys_with_state():
    err = unknown_object(FakeSql(SERVICES, ["a", "b"]), "http://x", "machineOperator", "zz")
    assert "machineOperator/zz" in err.message and "a, b" in err.hint
    plain = unknown_object(FakeSql(SERVICES, []), "http://x", "Greeter", "a")
    assert "plain Service" in plain.message and "machineOperator" in plain.hint
    empty = unknown_object(FakeSql(SERVICES, []), "http://x", "machineOperator", "a")
    assert "No object of machineOperator has state yet" in empty.message
