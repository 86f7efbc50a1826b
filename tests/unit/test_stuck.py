"""What an invocation is doing, in words, when a step's wait runs out."""

from restate_play.restate.records import Invocation, JournalEntry
from restate_play.scenario.stuck import describe


def inv(status: str, **kw) -> Invocation:
    return Invocation("inv_1abc", "BookingWorkflow/run", "BookingWorkflow", "run", None, status, **kw)


def test_backing_off_names_the_attempt_and_the_error_without_the_traceback():
    failure = "[500] ProviderUnavailable('car.book API unavailable') Traceback (most recent call last): File x"
    words = describe(inv("backing-off", retry_count=28, last_failure=failure, next_retry_at="2026-12-01T20:25:56Z"))
    assert "inv_1abc is backing-off: Restate is retrying it, attempt 28 failed with" in words
    assert (
        "car.book API unavailable" in words
        and "Traceback" not in words
        and "next retry at 2026-12-01T20:25:56Z" in words
    )


def test_paused_says_how_many_attempts_and_how_to_resume():
    words = describe(inv("paused", retry_count=3, last_failure="[500] boom"))
    assert "paused it after 3 failed attempts" in words and "[500] boom" in words
    assert "restate-play invocations resume inv_1abc" in words


def test_paused_reads_attempts_and_error_from_the_events_when_the_row_has_none():
    from restate_play.restate.records import JournalEvent

    events = [
        JournalEvent(i, "TransientError", None, {"error_code": 500, "error_message": f"boom {i}"}) for i in (1, 2, 3)
    ]
    words = describe(inv("paused"), [], events)
    assert "paused it after 3 failed attempts" in words and "last error [500] boom 3" in words
    once = describe(inv("paused"), [], events[:1])
    assert "paused it once its retry policy ran out (max-attempts in restate.toml)" in once


def test_suspended_names_what_it_waits_on():
    journal = [
        JournalEntry(0, "Command", "Input", completed=True),
        JournalEntry(1, "Command", "Run", "Book flight", completed=True),
        JournalEntry(2, "Command", "Sleep", "reminder", completed=False, detail={"wake_up_at": "2026-12-01T21:00:00Z"}),
    ]
    words = describe(inv("suspended"), journal)
    assert words == "inv_1abc is suspended, waiting on a timer 'reminder' until 2026-12-01T21:00:00Z (journal entry 2)."
    call = [JournalEntry(1, "Command", "Call", completed=False, detail={"target": "Payments/pay"})]
    assert "waiting on a call to Payments/pay" in describe(inv("running", retry_count=2), call)
    assert "after 2 failed attempts" in describe(inv("running", retry_count=2), call)


def test_other_states_in_words():
    assert "queued behind another invocation of key 'k1'" in describe(
        Invocation("inv_2", "o/k1/h", "o", "h", "k1", "inboxed")
    )
    assert "starts at 2027-01-01" in describe(inv("scheduled", scheduled_start_at="2027-01-01"))
    assert "did not arrive in time" in describe(inv("completed", completion_result="success"))
    assert "no invocation" in describe(None)
    running = [JournalEntry(0, "Command", "Input"), JournalEntry(1, "Command", "Run", "Book car", completed=True)]
    assert describe(inv("running"), running) == "inv_1abc is running; its last journal entry is 'Book car'."
    called = [JournalEntry(1, "Command", "Call", completed=True, detail={"target": "durablePromise/p/await"})]
    assert describe(inv("suspended"), called) == (
        "inv_1abc is suspended, waiting on an awakeable or a signal from outside; "
        "its last journal entry is 'Call durablePromise/p/await'."
    )


def test_running_between_retries_says_why_the_earlier_attempts_failed():
    words = describe(
        inv(
            "running", retry_count=7, last_failure="[500] car.book API unavailable Traceback (most recent call last): x"
        )
    )
    assert "inv_1abc is running (after 7 failed attempts; the last failed with [500] car.book API unavailable)" in words
