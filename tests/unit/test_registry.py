"""The registry of running sandboxes: records, names, stale records, and which serve a command picks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from restate_play.commands.common import normalize_url, pick_serve, resolve_admin_url
from restate_play.commands.ps import table
from restate_play.errors import PlayError
from restate_play.sandbox import registry


def describe(pattern: str, admin: int, ingress: int | None = None, data_dir: str = "/tmp/x", **components) -> dict:
    return {
        "pattern": pattern,
        "server": {"pid": 11, "ingress": ingress or admin - 1000, "admin": admin, "fabric": admin + 1},
        "service": {"pid": 12, "port": admin + 10, "client_ports": [5000]},
        "data_dir": data_dir,
        "host": "127.0.0.1",
        "components": components,
    }


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_record_names_ports_and_pids(isolated_state):
    kafka = {"pid": 13, "port": 9092, "bootstrap": "127.0.0.1:9092"}
    with registry.registered("serve", describe("event-enrichment", 29070, kafka=kafka)) as record:
        path = isolated_state / "restate-play" / "serves" / "29070.json"
        assert record.path == path and path.exists()
        data = json.loads(path.read_text())
        assert data["name"] == "event-enrichment" and data["owner_pid"] == os.getpid()
        assert data["ports"] == {
            "ingress": 28070,
            "admin": 29070,
            "fabric": 29071,
            "service": 29080,
            "kafka": 9092,
            "client": 5000,
        }
        assert data["pids"] == {"server": 11, "service": 12, "kafka": 13}
        assert [r.name for r in registry.records()] == ["event-enrichment"]
    assert not path.exists() and registry.records() == []


def test_record_is_removed_when_the_block_raises(isolated_state):
    with pytest.raises(KeyboardInterrupt), registry.registered("serve", describe("sagas", 9070)):
        raise KeyboardInterrupt  # Ctrl-C, and SIGTERM (handled as Ctrl-C)
    assert registry.records() == [] and not list((isolated_state / "restate-play" / "serves").iterdir())


def test_names_are_the_slug_then_slug_2_and_runs_have_their_own(isolated_state):
    with (
        registry.registered("serve", describe("sagas", 9070)) as first,
        registry.registered("serve", describe("sagas", 29070)) as second,
        registry.registered("serve", describe("stateful-actors", 39070)) as third,
        registry.registered("run", describe("sagas", 49070)) as run,
    ):
        assert (first.name, second.name, third.name, run.name) == ("sagas", "sagas-2", "stateful-actors", "run-sagas")
        assert run.path.name == f"{os.getpid()}.json"  # runs may share a server: keyed by their process
        assert registry.find("sagas-2") == second and registry.find(29070) == second
    with registry.registered("serve", describe("sagas", 29070)) as again:
        assert again.name == "sagas"  # the name is free again once its serve is gone


def test_records_of_dead_or_reused_processes_are_ignored_and_deleted(isolated_state):
    live = registry.register("serve", describe("sagas", 9070))
    dead = registry.register("serve", describe("cron", 19070))
    reused = registry.register("serve", describe("durable-rpc", 29070))
    for record, changes in ((dead, {"owner_pid": dead_pid()}), (reused, {"owner_started": "1"})):
        data = json.loads(record.path.read_text())
        record.path.write_text(json.dumps({**data, **changes}))
    assert [r.name for r in registry.records()] == ["sagas"]
    assert live.path.exists() and not dead.path.exists() and not reused.path.exists()


def test_a_half_written_record_is_left_to_its_writer_then_cleaned(isolated_state):
    folder = isolated_state / "restate-play" / "serves"
    folder.mkdir(parents=True)
    (folder / "9070.json").write_text('{"kind": "ser')
    assert registry.records() == [] and (folder / "9070.json").exists()
    old = time.time() - 60
    os.utime(folder / "9070.json", (old, old))
    assert registry.records() == [] and not (folder / "9070.json").exists()


def test_the_only_serve_is_picked_and_several_need_a_choice(isolated_state):
    assert pick_serve() is None and resolve_admin_url(None) == "http://127.0.0.1:9070"
    with registry.registered("serve", describe("sagas", 9070)):
        assert pick_serve().name == "sagas"
        with registry.registered("run", describe("cron", 19070)):  # a run never makes it ambiguous
            assert resolve_admin_url(None) == "http://127.0.0.1:9070"
            assert resolve_admin_url("run-cron") == "http://127.0.0.1:19070"
        with registry.registered("serve", describe("stateful-actors", 29070)):
            with pytest.raises(PlayError) as err:
                pick_serve()
            message, hint = err.value.message, err.value.hint or ""
            assert "2 `restate-play serve`s are running" in message
            assert "sagas" in message and "stateful-actors" in message and f"pid {os.getpid()}" in message
            assert "admin 9070" in message and "ingress 28070" in message
            assert "--admin-url http://127.0.0.1:29070" in hint and "--admin-url stateful-actors" in hint
            assert all(len(line) <= 80 for line in f"{message}\n{hint}".splitlines())
            assert pick_serve("http://127.0.0.1:29070").pattern == "stateful-actors"
            assert pick_serve("localhost:9070").pattern == "sagas"
            assert pick_serve("stateful-actors").admin_url == "http://127.0.0.1:29070"
            assert pick_serve("29070").name == "stateful-actors" and resolve_admin_url("29070").endswith(":29070")
            with pytest.raises(PlayError, match="No running `restate-play serve` has .*'127.0.0.1:1'"):
                pick_serve("127.0.0.1:1")
            with pytest.raises(PlayError, match="'nosuch'"):
                resolve_admin_url("nosuch")
            assert resolve_admin_url("127.0.0.1:29070") == "http://127.0.0.1:29070"  # used as given


def test_kafka_and_db_pick_the_serve_that_has_one(isolated_state):
    kafka = {"pid": 13, "port": 19092, "bootstrap": "127.0.0.1:19092"}
    for admin, extra in ((9070, {}), (29070, {"kafka": kafka})):
        data_dir = isolated_state / str(admin)
        data_dir.mkdir(parents=True)
        doc = describe("x", admin, data_dir=str(data_dir), **extra)
        (data_dir / "sandbox.json").write_text(json.dumps(doc))  # the sandbox's own state file
        registry.register("serve", doc)
    assert pick_serve(having="kafka").admin_url == "http://127.0.0.1:29070"
    assert pick_serve(having="postgres") is None


def test_urls_without_a_scheme_are_http():
    assert normalize_url("localhost:9070") == "http://localhost:9070"
    assert normalize_url("127.0.0.1:29070/") == "http://127.0.0.1:29070"
    assert normalize_url("https://example.test:9070") == "https://example.test:9070"


def test_ps_table_fits_80_columns(isolated_state):
    with (
        registry.registered("serve", describe("payment-state-machines", 29070)),
        registry.registered("serve", describe("payment-state-machines", 39070)),
        registry.registered("run", describe("stateful-actors", 49070)),
    ):
        text = table(registry.records())
    lines = text.splitlines()
    assert lines[0].split() == ["NAME", "PATTERN", "INGRESS", "ADMIN", "PID", "AGE"]
    assert lines[3].split()[:4] == ["payment-state-machines-2", "payment-state-machines", "38070", "39070"]
    assert lines[4].split() == ["service", "39080", "·", "fabric", "39071", "·", "client", "5000"]
    assert lines[5].startswith("run-stateful-actors ")
    assert all(len(line) <= 80 for line in lines), text
