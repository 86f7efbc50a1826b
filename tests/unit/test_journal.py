"""Journal v2 decoding, on rows captured from a real restate-server 1.7.12."""

import json
from pathlib import Path

from restate_play.restate.journal import decode_journal, decode_row, mark_completed, results_by_completion

ROWS = json.loads((Path(__file__).parent.parent / "fixtures" / "journal_v2_rows.json").read_text())


def by_index(entries):
    return {e.index: e for e in entries}


def test_every_entry_type_is_recognised():
    entries = decode_journal(ROWS)
    labels = [e.label for e in entries]
    assert labels[:4] == ["Command: Input", "Command: Run [step]", "Notification: Run", "Command: Sleep [nap]"]
    assert "Command: Call" in labels and "Command: OneWayCall" in labels
    assert "Command: CompleteAwakeable" in labels and "Notification: Signal" in labels
    assert labels[-1] == "Command: Output"


def test_payloads_are_text():
    e = by_index(decode_journal(ROWS))
    assert e[0].value == '"bob"'  # the input
    assert e[2].value == '"hello bob"'  # the run's result
    assert e[14].result == "success" and e[14].value == '"5 woke"'


def test_failures_carry_code_and_message():
    e = by_index(decode_journal(ROWS))
    assert e[13].result == "failure"
    assert e[13].failure == "[409] nope"


def test_call_details_and_completion():
    entries = decode_journal(ROWS)
    e = by_index(entries)
    call = e[5]
    assert call.detail["target"] == "Obj/k1/poke"
    assert call.detail["invocation_id"].startswith("inv_")
    assert call.value == "5"  # the parameter
    assert call.completed
    assert results_by_completion(entries)[call.completion_id].value == "5"
    assert e[8].detail["target"] == "Obj/k2/poke" and "invoke_at" in e[8].detail  # delayed one-way call


def test_sleep_wake_up_time_is_iso():
    sleep = by_index(decode_journal(ROWS))[3]
    assert sleep.name == "nap"
    assert sleep.detail["wake_up_at"].endswith("Z") and "T" in sleep.detail["wake_up_at"]


def test_command_incomplete_until_its_notification_arrives():
    # Incremental polling sees a Run command before its result: it must show as pending.
    first_two = [decode_row(r) for r in ROWS[:2]]
    assert not mark_completed(first_two)[1].completed
    assert mark_completed([decode_row(r) for r in ROWS[:3]])[1].completed


def test_unknown_shapes_do_not_crash():
    odd = decode_row(
        {"index": 7, "entry_type": "Command: SomethingNew", "entry_json": '{"Command":{"SomethingNew":{}}}'}
    )
    assert odd.type == "SomethingNew" and odd.kind == "Command"
    broken = decode_row({"index": 8, "entry_type": "Event: X", "entry_json": "not json"})
    assert broken.index == 8
