"""Database pattern: scenario fields for SQL, row tables, and the ledger's view of statements."""

from __future__ import annotations

from restate_play.sandbox.sql_rows import redact, text_table


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
