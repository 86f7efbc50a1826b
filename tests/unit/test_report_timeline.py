"""The terminal timeline of one invocation: a bar per command, retry and crash marks, a time axis."""

from __future__ import annotations

from rich.console import Console
from test_report_model import doc, trip

from restate_play.report.model import terminal_timeline
from restate_play.views.timeline import fmt_seconds, nice_step


def text_of(renderable, width: int = 100) -> list[str]:
    console = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(renderable)
    return console.export_text().splitlines()


def test_a_row_per_command_with_its_duration():
    lines = text_of(terminal_timeline(trip()))
    assert lines[0].startswith("inv_trip  BookingWorkflow/run  completed  3.20 s  ✕ 1 retried attempt")
    assert lines[3].startswith("Book flight") and lines[3].rstrip().endswith("500 ms")
    assert lines[4].startswith("Book car") and lines[4].rstrip().endswith("2.30 s")


def test_the_retry_is_marked_on_the_command_it_hit():
    lines = text_of(terminal_timeline(trip()))
    car = next(line for line in lines if line.startswith("Book car"))
    assert "✕" in car
    assert any(line.startswith("✕ +1.00 s retried: broken pipe") for line in lines)


def test_crashes_and_restarts_are_vertical_marks():
    lines = text_of(terminal_timeline(trip(), doc()["crashes"]))
    crash_cols = {line.index("┃") for line in lines[2:7] if "┃" in line}
    assert crash_cols, "no crash column"
    assert any("+0.90 s 💥 service killed (SIGKILL) after 'Book flight'" in line for line in lines)
    assert any("+2.50 s ↺ service restarted" in line for line in lines)


def test_the_axis_has_round_ticks():
    assert nice_step(3.2, 8) == 0.5 and nice_step(0.05, 5) == 0.01 and nice_step(40, 4) == 10
    assert [fmt_seconds(t) for t in (0, 0.05, 0.5, 1.0, 12)] == ["0s", "50ms", "0.5s", "1s", "12s"]
    lines = text_of(terminal_timeline(trip()))
    assert "|0s" in lines[1] and "|3s" in lines[1]


def test_the_axis_starts_at_the_invocations_start():
    lines = text_of(terminal_timeline(trip(start=5.0)))
    assert lines[0].endswith("3.20 s  ✕ 1 retried attempt")


def test_where_restate_found_the_service_gone_a_crash_is_inferred():
    from restate_play.views.timeline import Retry, gone_marks

    found = [
        Retry(1.0, 3, "unexpected error while reading the response body: stream closed because of a broken pipe"),
        Retry(1.1, 3, "error when calling 'http://127.0.0.1:1/': h2 pool connection error: Connection refused"),
        Retry(2.0, 3, "ProviderUnavailable('car.book API unavailable')"),  # the handler failed: no crash
        Retry(3.0, 3, "Connection refused"),
    ]
    assert [(m.at, m.kind) for m in gone_marks(found)] == [(1.0, "crash"), (3.0, "crash")]
    assert gone_marks(found)[0].label.startswith("the service was gone (Restate: unexpected error")
