"""`list`, `invocations list` and `describe` drawn at 80 and 120 columns: ids that paste back, whole
statuses and targets, no empty columns; `--wide` shows every id whole."""

from __future__ import annotations

import re

import pytest
from rich.console import Console

from restate_play.commands import listing
from restate_play.patterns.catalog import PATTERNS
from restate_play.restate.records import Invocation, JournalEntry, JournalEvent
from restate_play.views.journal_text import describe_lines
from restate_play.views.lookups import invocation_lines, kv_lines
from restate_play.views.styled import Styled, ansi, cells
from restate_play.views.text_table import short_ids

IDS = [
    "inv_1dceKvwtEc2n2PVCWAUfChbUtz49Sr19ZJ",
    "inv_1dceKvwtEc2n5j6xrWTwcmjwThWKTkhABC",  # shares 16 characters with the first
    "inv_17DPNlNSdHFz5lGbUNxBzKlnYrtl0RhM9V",
    "inv_174rq2A9bm3T5OBFZdbpr7GNzzJMLM4Nm2",
]
STATUSES = ["completed", "backing-off", "suspended", "running"]
TARGETS = [
    "machineOperator/my-machine/setUp",
    "BookingWorkflow/booking-with-a-long-key-12345/run",
    "CheckoutService/handle",
    "machineOperator/b/tearDown",
]


def invocations() -> list[Invocation]:
    return [
        Invocation(
            i,
            t,
            t.split("/")[0],
            t.split("/")[-1],
            None,
            s,
            created_at="2026-12-01T20:10:28.054Z",
            retry_count=3 if s == "backing-off" else 0,
            last_failure="[500 Internal] error when calling 'http://127.0.0.1:9080/': Connection refused"
            if s == "backing-off"
            else None,
            completion_result="success" if s == "completed" else None,
            journal_size=7,
        )
        for i, t, s in zip(IDS, TARGETS, STATUSES, strict=True)
    ]


def text(lines: list[Styled]) -> str:
    return "\n".join(line.plain for line in lines)


def pasteable(text: str, ids: list[str]) -> list[str]:
    """Every id shown is a unique prefix of a real id (≥ 12 characters) with no "…" in or after it."""
    assert not re.search(r"inv_[A-Za-z0-9]*…", text), "an id cut with an ellipsis"
    shown = re.findall(r"inv_[A-Za-z0-9]+", text)
    for token in shown:
        matches = [i for i in ids if i.startswith(token)]
        assert len(token) >= 12 and len(matches) == 1, f"{token!r} does not paste back to one invocation"
    return shown


def test_short_ids_are_the_shortest_unique_prefixes_of_at_least_12():
    shown = short_ids(IDS)
    assert shown[IDS[2]] == "inv_17DPNlNS" and len(shown[IDS[0]]) == 17 and len(shown[IDS[1]]) == 17
    assert short_ids([IDS[0]]) == {IDS[0]: IDS[0][:12]}


@pytest.mark.parametrize("width", [80, 120])
def test_invocation_list_reads_at_this_width(width):
    shown = text(invocation_lines(invocations(), "Invocations", width))
    assert len(pasteable(shown, IDS)) == len(IDS)
    for word in (*STATUSES, *(name + "/" for t in TARGETS for name in t.split("/")[:-1])):
        assert word in shown, f"{word!r} cut at {width} columns"  # a long target breaks after a "/" only
    assert all(t in shown for t in TARGETS if len(t) < 40)
    header = shown.splitlines()[1].split()
    assert header[:3] == ["id", "target", "status"] and "" not in header  # no empty column
    assert all(cells(line) <= width for line in shown.splitlines())


def test_invocation_list_hides_empty_columns_and_wide_shows_whole_ids():
    quiet = [Invocation(i, "svc/run", "svc", "run", None, "running") for i in IDS]
    shown = text(invocation_lines(quiet, "Invocations", 120))
    assert "created" not in shown and "outcome" not in shown
    wide = text(invocation_lines(invocations(), "Invocations", 80, wide=True))
    assert all(i in wide for i in IDS) and "Connection refused" in wide


def journal() -> tuple[list[JournalEntry], list[JournalEvent]]:
    entries = [
        JournalEntry(0, "Command", "Input", appended_at="2026-12-01T20:10:28.054Z", completed=True),
        JournalEntry(1, "Command", "Run", "Begin UP", 1, appended_at="2026-12-01T20:10:28.069Z", completed=True),
        JournalEntry(2, "Notification", "Run", "", 1, "success", "null", appended_at="2026-12-01T20:10:28.073Z"),
        JournalEntry(3, "Command", "Sleep", "Transition to UP", 2, appended_at="2026-12-01T20:10:30.552Z"),
    ]
    events = [
        JournalEvent(
            2,
            "TransientError",
            "2026-12-01T20:10:28.084Z",
            {
                "ty": "TransientError",
                "error_code": 500,
                "error_message": "unexpected error while reading the response body: stream closed",
                "restate_doc_error_code": "RT0010",
            },
        )
    ]
    return entries, events


@pytest.mark.parametrize("width", [80, 120])
def test_describe_shows_times_errors_in_words_and_why_the_numbers_skip(width):
    inv = invocations()[1]
    entries, events = journal()
    drawn = text(describe_lines(inv, entries, events, width))
    flat = " ".join(drawn.split())
    assert inv.id in drawn  # the heading has the whole id
    for shown in ("20:10:28.054", "20:10:28.069", "+15 ms", "20:10:30.552", "+2.47 s", "Begin UP", "backing-off"):
        assert shown in flat, f"{shown!r} missing at {width} columns"
    assert "attempt failed: RT0010 (network error reaching the service" in flat
    assert "stream closed" in flat and "{'ty'" not in drawn
    assert "3 retries so far" in flat and "Connection refused" in flat
    assert "hence the gaps" in flat  # the journal's numbering, in one line
    assert re.search(r"20:10:28\.069 .*Begin UP.*after 4 ms", drawn)
    assert all(cells(line) <= width for line in drawn.splitlines()[2:])  # all but the heading and details


@pytest.mark.parametrize("width", [80, 120])
def test_list_reads_at_this_width(width):
    console = Console(width=width, record=True, file=open("/dev/null", "w"), force_terminal=True)  # noqa: SIM115
    console.print(listing._table(narrow=width < listing.WIDE))
    text = console.export_text()
    words = set(text.split())
    for p in PATTERNS:
        assert p.slug in words and set(p.summary.split()) <= words, p.slug  # wrapped at spaces, never cut
    assert all(len(line) <= width for line in text.splitlines())


def test_list_piped_is_whole_lines():
    lines = listing._plain_lines()
    for p in PATTERNS:
        assert any(line.strip().startswith(p.slug) and p.summary in line for line in lines), p.slug


def test_list_wide_puts_each_pattern_on_one_whole_line(monkeypatch):
    console = Console(width=80, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    monkeypatch.setattr(listing, "stdout_console", lambda: console)
    listing.show_patterns(as_json=False, wide=True)
    lines = console.export_text().splitlines()
    for p in PATTERNS:
        assert any(p.slug in line and p.summary in line for line in lines), p.slug


def test_state_get_pretty_prints_json_values_and_wide_keeps_each_on_one_line():
    from restate_play.restate.records import StateEntry

    entries = [
        StateEntry("machineOperator", "a", "status", '"UP"'),
        StateEntry("machineOperator", "a", "config", '{"speed": 3, "tools": ["drill", "saw"]}'),
        StateEntry("machineOperator", "a", "raw", None),
    ]
    shown = text(kv_lines("machineOperator", "a", entries, 80))
    assert shown.splitlines()[:2] == ["Service  machineOperator", "Key      a"]
    assert '  "speed": 3,' in shown and "∅" in shown and '"UP"' in shown
    wide = text(kv_lines("machineOperator", "a", entries, 80, wide=True))
    assert '{"speed": 3, "tools": ["drill", "saw"]}' in wide


def test_long_lines_wrap_at_spaces_keeping_styles_and_colour_only_when_wanted():
    from restate_play.views.styled import wrap

    line = Styled("✗ attempt failed", "red bold").append(" — " + "word " * 30, "red")
    parts = wrap(line, 40)
    assert len(parts) > 1 and all(cells(p.plain) <= 40 for p in parts)
    assert " ".join(p.plain for p in parts).split() == line.plain.split()
    assert parts[0].spans[0] == ("✗ attempt failed", "red bold")
    assert ansi(parts[0], color=True).startswith("\x1b[31;1m✗ attempt failed\x1b[0m")
    assert "\x1b" not in ansi(parts[0], color=False)
    assert cells("⏳ Awakeable") == 12  # a wide character takes two cells
