"""Exercise progress and the loop's pure steps: marks, next, hints, the solution gate, reset."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from restate_play.errors import PlayError
from restate_play.exercises.catalog import load_exercises
from restate_play.exercises.flow import give_hint, next_exercise, reset, rows, show_solution, write_start
from restate_play.exercises.progress import ExerciseProgress, progress_file

EXERCISES = load_exercises()
FIRST, SECOND = EXERCISES[0], EXERCISES[1]


def console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=200, no_color=True), buf


def test_progress_lives_beside_the_tutorials_and_survives_a_reload(isolated_state):
    progress = ExerciseProgress.load()
    progress.record_check(FIRST.id, changed=True, passed=False)
    assert progress_file() == isolated_state / "restate-play" / "exercises.json"
    saved = json.loads(progress_file().read_text())
    assert saved["last"] == FIRST.id and saved["exercises"][FIRST.id]["attempts"] == 1
    again = ExerciseProgress.load()
    assert again.attempts(FIRST.id) == 1 and not again.passed(FIRST.id) and again.mark(FIRST.id) == "●"


def test_an_unchanged_file_is_no_attempt_and_never_passes(isolated_state):
    progress = ExerciseProgress.load()
    progress.record_check(FIRST.id, changed=False, passed=True)
    assert progress.attempts(FIRST.id) == 0 and not progress.passed(FIRST.id)
    progress.record_check(FIRST.id, changed=True, passed=True)
    assert progress.passed(FIRST.id) and progress.mark(FIRST.id) == "✔"


def test_next_is_the_last_one_unless_passed_then_the_first_open(isolated_state):
    progress = ExerciseProgress.load()
    assert next_exercise(EXERCISES, progress) == FIRST
    progress.start(SECOND.id, progress.path)
    assert next_exercise(EXERCISES, progress) == SECOND
    progress.record_check(SECOND.id, changed=True, passed=True)
    assert next_exercise(EXERCISES, progress) == FIRST
    assert next_exercise(EXERCISES, progress, skip=FIRST.id) == EXERCISES[2]
    marks = {r.id: (r.mark, r.next) for r in rows(EXERCISES, progress)}
    assert marks[FIRST.id] == ("·", True) and marks[SECOND.id] == ("✔", False)


def test_hints_come_in_three_levels_then_stay_at_the_last(isolated_state):
    progress = ExerciseProgress.load()
    out, buf = console()
    assert [give_hint(FIRST, progress, out) for _ in range(4)] == [1, 2, 3, 3]
    text = buf.getvalue()
    assert FIRST.hints[2] in text and "Hint 3/3" in text and "last hint" in text
    assert ExerciseProgress.load().hints_shown(FIRST.id) == 3


def test_the_solution_opens_only_after_a_real_attempt(isolated_state):
    progress = ExerciseProgress.load()
    out, buf = console()
    with pytest.raises(PlayError, match="after your first attempt"):
        show_solution(FIRST, progress, out)
    progress.record_check(FIRST.id, changed=False, passed=False)  # the untouched file: still closed
    with pytest.raises(PlayError):
        show_solution(FIRST, progress, out)
    progress.record_check(FIRST.id, changed=True, passed=False)
    show_solution(FIRST, progress, out)
    assert 'ctx.run_typed("Charge"' in buf.getvalue() and "Why" in buf.getvalue()


def test_the_starting_file_is_written_once_and_reset_rewrites_it(isolated_state, tmp_path):
    path, written = write_start(FIRST, tmp_path)
    assert written and path == tmp_path / FIRST.file_name and path.read_text() == FIRST.start.read_text()
    path.write_text("my attempt")
    assert write_start(FIRST, tmp_path) == (path, False) and path.read_text() == "my attempt"
    progress = ExerciseProgress.load()
    progress.record_check(FIRST.id, changed=True, passed=True)
    out, buf = console()
    reset(FIRST, progress, tmp_path, out)
    assert path.read_text() == FIRST.start.read_text() and "forgotten" in buf.getvalue()
    assert not ExerciseProgress.load().passed(FIRST.id)


def test_list_piped_puts_each_exercise_on_one_whole_line(isolated_state):
    from restate_play.commands.exercise import list_exercises

    buffer = io.StringIO()
    out = Console(file=buffer, width=80, no_color=True)  # not a terminal: as `exercise --list | less` gets it
    list_exercises(False, out)
    lines = buffer.getvalue().splitlines()
    for e in load_exercises():
        assert any(e.id in line and e.topic in line and e.title in line for line in lines), e.id
