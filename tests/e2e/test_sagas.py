"""Sagas: the document's curl against `serve` (compensations in reverse order), and the default run's records.

crash-demo plays the sagas pattern too: its replay checks are in test_crash.py.
"""

from __future__ import annotations

import signal

import pytest

from restate_play.patterns.catalog import get_pattern

pytestmark = pytest.mark.e2e


def test_sagas_document_curl(serve):
    s = serve("sagas")
    (line,) = get_pattern("sagas").curls
    out = s.curl(line)
    assert "This hotel is fully booked!" in out
    log = s.wait_output("Flight cancelled for customer 12345")
    for text in (
        "Flight booked for customer 12345",
        "Car booked for customer 12345",
        "Hotel cancelled",
        "Car cancelled for customer 12345",
        "Flight cancelled for customer 12345",
    ):
        assert text in log
    s.stop(signal.SIGTERM)


def test_sagas_records_tell_the_story(default_run):
    code, result = default_run("sagas")
    assert code == 0
    doc_trip = next(i for i in result["invocations"] if i["completion_result"] == "failure")
    names = [e["name"] for e in doc_trip["journal"] if e["kind"] == "Command" and e["type"] == "Run"]
    assert names == ["Book flight", "Book car", "Book hotel", "Cancel hotel", "Cancel car", "Cancel flight"]
    assert "fully booked" in doc_trip["completion_failure"]
    actions = [e["action"] for e in result["ledger"] if e["args"].get("customer") == "67890"]
    # The crashed trip: one of each booking, the car retried once, no compensation.
    assert actions.count("flight.book") == 1 and actions.count("hotel.book") == 1
    assert actions.count("car.book.unavailable") == 1 and actions.count("car.book") == 1
    assert not [a for a in actions if a.endswith(".cancel")]
    assert result["timings"]["restart_service"] > 0
