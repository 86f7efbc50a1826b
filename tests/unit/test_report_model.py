"""The report's model: a run's --json document as lanes, spans, retries, crashes, ledger repeats, state."""

from __future__ import annotations

from datetime import UTC, datetime

from restate_play.report import model

T0 = 1_800_000_000.0


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(T0 + seconds, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def entry(index: int, kind: str, type_: str, at: float, **more) -> dict:
    return {"index": index, "kind": kind, "type": type_, "appended_at": iso(at), **more}


def invocation(inv_id: str, start: float, end: float | None, journal: list[dict], events=(), **more) -> dict:
    return {
        "id": inv_id,
        "target": more.pop("target", "BookingWorkflow/run"),
        "service": more.pop("service", "BookingWorkflow"),
        "handler": more.pop("handler", "run"),
        "key": more.pop("key", None),
        "status": "completed" if end is not None else "backing-off",
        "created_at": iso(start),
        "completed_at": iso(end) if end is not None else None,
        "journal": journal,
        "events": list(events),
        **more,
    }


def trip(inv_id: str = "inv_trip", start: float = 0.0) -> dict:
    journal = [
        entry(0, "Command", "Input", start, value='{"customerId": "4711"}'),
        entry(1, "Command", "Run", start + 0.1, name="Book flight", completion_id=1, completed=True),
        entry(2, "Notification", "Run", start + 0.6, completion_id=1, result="success", value='"flight-1"'),
        entry(3, "Command", "Run", start + 0.7, name="Book car", completion_id=2, completed=True),
        entry(4, "Notification", "Run", start + 3.0, completion_id=2, result="success"),
        entry(5, "Command", "SetState", start + 3.1, detail={"key": "status"}, value='"booked"', completed=True),
        entry(6, "Command", "Output", start + 3.2, result="success", completed=True),
    ]
    events = [
        {
            "index": 3,
            "type": "TransientError",
            "appended_at": iso(start + 1.0),
            "detail": {"error_message": "broken pipe"},
        }
    ]
    return invocation(inv_id, start, start + 3.2, journal, events, key="4711")


def doc(**more) -> dict:
    return {
        "pattern": "sagas",
        "scenario": "sagas.crash",
        "title": "A crash",
        "passed": True,
        "requests": [{"invocation_id": "inv_trip", "label": "trip", "curl": "curl localhost:8080/BookingWorkflow/run"}],
        "invocations": [trip()],
        "crashes": [
            {"target": "service", "at": T0 + 0.9, "of": "trip", "after_entry": "Book flight", "restarted_at": T0 + 2.5}
        ],
        "ledger": [
            {"seq": 1, "ts": T0 + 0.5, "action": "flight.book", "args": {"customer": "4711"}, "invocation": "inv_trip"},
            {"seq": 2, "ts": T0 + 0.8, "action": "car.book", "args": {"customer": "4711"}, "invocation": "inv_trip"},
            {"seq": 3, "ts": T0 + 2.9, "action": "car.book", "args": {"customer": "4711"}, "invocation": "inv_trip"},
        ],
        **more,
    }


def test_a_lane_has_its_commands_as_spans_ended_by_their_results():
    report = model.build(doc())
    (lane,) = report.lanes
    assert lane.label == "trip" and lane.curl.startswith("curl ")
    assert [s.label for s in lane.spans] == ["Input", "Book flight", "Book car", "SetState status", "Output"]
    flight = lane.spans[1]
    assert round(flight.start - T0, 3) == 0.1 and round(flight.duration, 3) == 0.5 and flight.value == '"flight-1"'
    assert lane.spans[0].end is None  # an input needs no result: a moment
    assert lane.input == '{"customerId": "4711"}'


def test_retries_are_placed_on_the_command_they_hit():
    (lane,) = model.build(doc()).lanes
    (retry,) = lane.retries
    assert round(retry.at - T0, 3) == 1.0 and retry.index == 3 and retry.message == "broken pipe"


def test_a_retry_naming_its_command_counts_among_the_commands():
    from restate_play.views.timeline import command_at

    inv = trip()
    inv["events"][0]["index"] = 5  # after Book car's result, but the event names the command it hit
    inv["events"][0]["detail"]["related_command_index"] = 2  # Input, Book flight, Book car
    (lane,) = model.build(doc(invocations=[inv])).lanes
    assert command_at(lane.spans, lane.retries[0]).label == "Book car"


def test_a_crash_and_its_restart_are_moments():
    report = model.build(doc())
    assert [(m.kind, round(m.at - T0, 1)) for m in report.moments] == [("crash", 0.9), ("restart", 2.5)]
    assert "after 'Book flight'" in report.moments[0].label


def test_a_service_exiting_on_its_own_is_a_crash_moment_too():
    report = model.build(doc(crashes=[], service_exits=[{"target": "service", "at": T0 + 1.5}]))
    assert [m.kind for m in report.moments] == ["crash"]


def test_the_same_action_with_the_same_arguments_again_is_a_repeat():
    report = model.build(doc())
    assert [(m.action, m.occurrence, m.times) for m in report.ledger] == [
        ("flight.book", 1, 1),
        ("car.book", 1, 2),
        ("car.book", 2, 2),
    ]
    assert report.repeats == 1


def test_other_arguments_are_no_repeat():
    ledger = [
        {"seq": 1, "ts": T0, "action": "car.book", "args": {"customer": "1"}, "invocation": None},
        {"seq": 2, "ts": T0 + 1, "action": "car.book", "args": {"customer": "2"}, "invocation": None},
    ]
    assert model.build(doc(ledger=ledger)).repeats == 0


def test_state_changes_come_from_the_journals_set_state():
    (change,) = model.build(doc()).state_changes
    assert (change.service, change.key, change.name, change.value) == ("BookingWorkflow", "4711", "status", '"booked"')


def test_the_time_range_covers_lanes_crashes_and_ledger():
    report = model.build(doc())
    assert report.t0 == T0 and round(report.t1 - T0, 3) == 3.2


def test_a_few_invocations_are_drawn_as_a_waterfall_unfolded():
    report = model.build(doc())
    assert report.waterfall and len(report.groups) == 1 and not report.groups[0].folded


def test_many_invocations_fold_into_groups_by_service_and_handler():
    many = [trip(f"inv_{i}", start=i * 0.01) for i in range(model.FOLD_BEYOND + 10)]
    many = [
        {**inv, "target": f"product/p{i}/reserve", "handler": "reserve", "service": "product"}
        for i, inv in enumerate(many)
    ]
    many.append(invocation("inv_other", 0.0, 1.0, [], target="cart/add", service="cart", handler="add"))
    report = model.build(doc(invocations=many, requests=[]))
    assert not report.waterfall
    assert [(g.target, len(g.lanes), g.folded) for g in report.groups] == [
        ("product/reserve", model.FOLD_BEYOND + 10, True),
        ("cart/add", 1, True),
    ]


def test_an_unfinished_invocation_has_no_end_and_an_open_span():
    journal = [entry(0, "Command", "Input", 0.0), entry(1, "Command", "Sleep", 0.1, completion_id=1, completed=False)]
    report = model.build(doc(invocations=[invocation("inv_x", 0.0, None, journal)], requests=[]))
    (lane,) = report.lanes
    assert lane.end is None and not lane.spans[1].completed and lane.label.startswith("inv_x")
