"""--record's files: an asciicast v2 that replays to the final screen, the SVG, the JSON, the report."""

from __future__ import annotations

import io
import json

from cast_replay import replay
from rich.console import Console
from rich.panel import Panel
from test_report_model import doc

from restate_play.report.record import FILES, Cast, Recorder, Tee, also_to, live_console, redraw


def test_a_cast_is_asciicast_v2_with_times_in_order():
    cast = Cast(40, 10, "t")
    cast.add("one\n")
    cast.add("")
    cast.add("two\r\n")
    header, *events = cast.dumps().splitlines()
    assert json.loads(header)["version"] == 2 and json.loads(header)["width"] == 40
    data = [json.loads(e) for e in events]
    assert [d[2] for d in data] == ["one\r\n", "two\r\n"]  # what a tty sends, \n as \r\n
    assert data[0][0] <= data[1][0]


def test_the_tee_writes_through_and_records_until_stopped():
    inner = io.StringIO()
    cast = Cast(40, 10)
    tee = Tee(inner, cast)
    tee.write("seen\n")
    tee.on = False
    tee.write("after\n")
    assert inner.getvalue() == "seen\nafter\n" and [e[1] for e in cast.events] == ["seen\r\n"]


def test_a_live_view_recorded_off_screen_replays_to_the_final_screen(tmp_path):
    recorder = Recorder(tmp_path / "out", "t")
    assert live_console(None, "plain", Console(file=io.StringIO())) is None
    screen = live_console(recorder, "plain", Console(file=io.StringIO()))
    for n in range(3):  # frames as a live view draws them: the cursor goes back up each time
        screen.print(f"frame {n}")
        screen.file.write("\x1b[1A\r")
    recorder.stop()
    recorder.final_screen(Panel("the final screen", title="Journals"))
    paths = recorder.finish(doc())
    assert [p.name for p in paths] == list(FILES) and all(p.stat().st_size for p in paths)
    shown = replay((tmp_path / "out" / "run.cast").read_text())
    assert any("the final screen" in row for row in shown) and not any("frame" in row for row in shown)
    svg = (tmp_path / "out" / "run.svg").read_text()
    assert svg.startswith("<svg") and "final" in svg
    assert json.loads((tmp_path / "out" / "run.json").read_text())["scenario"] == "sagas.crash"


def test_a_terminal_is_recorded_as_it_is_written(tmp_path):
    terminal = io.StringIO()
    out = Console(file=terminal, width=60, height=20, force_terminal=True)
    recorder = Recorder(tmp_path, "t")
    assert live_console(recorder, "live", out) is out
    out.print("hello")
    assert "hello" in terminal.getvalue() and recorder.size == (60, 20)
    assert any("hello" in text for _, text in recorder.cast.events)


def test_the_narration_also_goes_to_the_recorded_view():
    printed, lines = [], []
    also_to(printed.append, lines)("[1/2] call")
    assert printed == lines == ["[1/2] call"]


def test_the_report_is_redrawn_from_run_json(tmp_path):
    (tmp_path / "run.json").write_text(json.dumps(doc()))
    page = redraw(tmp_path).read_text()
    assert "Book flight" in page and 'class="crash-line"' in page


def test_a_directory_without_run_json_is_no_recording(tmp_path):
    import pytest

    from restate_play.errors import PlayError

    with pytest.raises(PlayError, match="not a recording"):
        redraw(tmp_path)


def test_saving_meanwhile_writes_the_files_by_the_time_wait_returns(tmp_path):
    recorder = Recorder(tmp_path / "out", "t")
    recorder.final_screen(Panel("last"))
    said: list[str] = []
    recorder.save_meanwhile(doc(), said.append)
    recorder.wait()
    assert all((tmp_path / "out" / name).stat().st_size for name in FILES)
    assert said and said[0].startswith(f"Recorded in {tmp_path / 'out'}")


def test_a_failure_while_saving_meanwhile_is_raised_by_wait(tmp_path):
    import pytest

    recorder = Recorder(tmp_path / "out", "t")
    (tmp_path / "out").rmdir()
    (tmp_path / "out").write_text("")  # the directory became a file meanwhile
    recorder.save_meanwhile(doc(), lambda _line: None)
    with pytest.raises(OSError):
        recorder.wait()


def test_a_directory_that_cannot_be_made_fails_before_the_scenario(tmp_path):
    import pytest

    from restate_play.errors import PlayError

    (tmp_path / "file").write_text("")
    with pytest.raises(PlayError, match="Cannot record into"):
        Recorder(tmp_path / "file" / "out")
