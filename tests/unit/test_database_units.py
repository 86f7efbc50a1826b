"""Database pattern: scenario fields for SQL, row tables, and the ledger's view of statements."""

from __future__ import annotations

import pytest

from restate_play.sandbox.sql_rows import redact, text_table
from restate_play.scenario.model import ScenarioError, load


def _scenario(tmp_path, body: str):
    path = tmp_path / "db.toml"
    path.write_text(body)
    return load(path)


def test_sql_steps_load(tmp_path):
    sc = _scenario(
        tmp_path,
        '[[step]]\nsql = "SELECT * FROM users"\n'
        '[[step]]\nexpect_sql = { query = "SELECT credits FROM users", rows = [{ credits = 1 }] }\n'
        '[[step]]\nexpect_sql = { query = "SELECT 1", count = 1 }\n',
    )
    assert [s.action for s in sc.steps] == ["sql", "expect_sql", "expect_sql"]
    assert sc.steps[0].args == {"query": "SELECT * FROM users"}
    assert sc.steps[1].args["rows"] == [{"credits": 1}]


@pytest.mark.parametrize(
    ("step", "field"),
    [
        ('sql = ""', "sql"),
        ("expect_sql = { rows = [] }", "query"),
        ('expect_sql = { query = "SELECT 1" }', "rows"),
        ('expect_sql = { query = "SELECT 1", rows = [1, 2] }', "rows"),
        ('expect_sql = { query = "SELECT 1", count = "two" }', "count"),
        ('expect_sql = { query = "SELECT 1", columns = [] }', "columns"),
    ],
)
def test_sql_steps_are_validated(tmp_path, step, field):
    with pytest.raises(ScenarioError, match=f"field '{field}'"):
        _scenario(tmp_path, f"[[step]]\n{step}\n")


def test_text_table_and_redact():
    lines = text_table([{"userid": "A", "credits": 1000}, {"userid": "B", "credits": None}])
    assert lines == ["userid  credits", "A       1000", "B       NULL"]
    assert text_table([]) == []
    assert redact("postgresql://restatedb:secret@127.0.0.1:5432/exampledb") == (
        "postgresql://restatedb:***@127.0.0.1:5432/exampledb"
    )


def test_ledger_records_statements_with_their_parameters(tmp_path, monkeypatch):
    from restate_play.world import database, ledger

    monkeypatch.setenv("RESTATE_PLAY_LEDGER", str(tmp_path / "ledger.jsonl"))
    database._record(
        "UPDATE users SET credits = credits + %(credits)s WHERE userid = %(userid)s", {"userid": "B", "credits": 12}, 1
    )
    (entry,) = ledger.read()
    assert entry.action == "db.update"
    assert entry.args == {"table": "users", "rows": 1, "userid": "B", "credits": 12}
    assert database._key({"userId": "C"}) == "C" and database._key({"id": "x"}) is None
