"""The catalog's lookups, and the world's ledger and fault injection."""

import json
import threading

import pytest

from restate_play.errors import PlayError
from restate_play.patterns.catalog import CATEGORIES, PATTERNS, get_pattern
from restate_play.world import faults, ledger


def test_unknown_pattern_suggests_the_nearest():
    with pytest.raises(PlayError) as info:
        get_pattern("saga")
    assert "Unknown pattern 'saga'" in info.value.message
    assert "sagas" in info.value.hint


def test_catalog_covers_every_pattern_of_the_documents():
    assert len(PATTERNS) == 19
    assert len({p.slug for p in PATTERNS}) == 19
    assert {p.category for p in PATTERNS} == set(CATEGORIES)
    assert get_pattern("concurrent-tasks").source == "Java"


def test_ledger_appends_lines_from_many_threads(tmp_path, monkeypatch):
    path = tmp_path / "ledger.jsonl"
    monkeypatch.setenv(ledger.ENV_VAR, str(path))

    def writer(n):
        for i in range(50):
            ledger.record("thing", writer=n, i=i)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = ledger.read(path)
    assert len(entries) == 200
    assert [e.seq for e in entries] == list(range(1, 201))
    assert ledger.count("thing", path, writer=2) == 50


def test_ledger_tail_reads_only_new_lines(tmp_path, monkeypatch):
    path = tmp_path / "ledger.jsonl"
    monkeypatch.setenv(ledger.ENV_VAR, str(path))
    tail = ledger.LedgerTail(path)
    assert tail.new_entries() == []
    ledger.record("a")
    ledger.record("b")
    assert [e.action for e in tail.new_entries()] == ["a", "b"]
    ledger.record("c")
    assert [(e.seq, e.action) for e in tail.new_entries()] == [(3, "c")]


def test_counted_faults_fail_the_first_n_attempts_and_survive_restarts(tmp_path, monkeypatch):
    monkeypatch.setenv(ledger.ENV_VAR, str(tmp_path / "ledger.jsonl"))
    monkeypatch.setenv(faults.ENV_VAR, json.dumps({"car.book": 2, "hotel.book:42": 1}))
    assert [faults.should_fail("car.book") for _ in range(4)] == [True, True, False, False]
    # The count lives in the ledger, so a "new process" (fresh call) still sees it.
    assert faults.should_fail("car.book") is False
    assert faults.should_fail("hotel.book", key="7") is False
    assert faults.should_fail("hotel.book", key="42") is True
    assert faults.should_fail("hotel.book", key="42") is False
    assert ledger.count("fault.injected", point="car.book") == 2
