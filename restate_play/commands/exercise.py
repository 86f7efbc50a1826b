"""`restate-play exercise`: write the durable code yourself; the playground checks it under crashes."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from restate_play.errors import PlayError
from restate_play.exercises.catalog import Exercise, find_exercise, load_exercises
from restate_play.exercises.flow import (
    current,
    give_hint,
    introduce,
    learner_file,
    next_exercise,
    reset,
    rows,
    show_solution,
    show_verdict,
    watch_file,
    write_start,
)
from restate_play.exercises.progress import ExerciseProgress, progress_file
from restate_play.exercises.verdict import Verdict


def list_exercises(as_json: bool, out: Console) -> None:
    listed = rows(load_exercises(), ExerciseProgress.load())
    if as_json:
        from restate_play.commands.common import print_json

        print_json({"progress_file": str(progress_file()), "exercises": [r.to_dict() for r in listed]})
        return
    table = Table("", "id", "topic", "min", "title", box=None, pad_edge=False)
    for r in listed:
        table.add_row("▶" if r.next else r.mark, r.id, r.topic, str(r.minutes), r.title)
    if not out.is_terminal:  # piped: one whole line per exercise (a terminal wraps long titles in their column)
        from restate_play.views.tables import natural_width

        out.width = max(out.width, natural_width(out, table))
    out.print(table)
    out.print(f"✔ passed · ● tried · ▶ next (`restate-play exercise`). Progress: {progress_file()}", style="dim")


def pick(exercise_id: str | None, progress: ExerciseProgress, for_current: bool = False) -> Exercise:
    exercises = load_exercises()
    if exercise_id:
        return find_exercise(exercise_id, exercises)
    if for_current:
        return current(exercises, progress)
    found = next_exercise(exercises, progress)
    if found is None:
        raise PlayError("Every exercise has passed.", "Play one again by id: `restate-play exercise --list`.")
    return found


def hint(exercise_id: str | None, out: Console) -> None:
    progress = ExerciseProgress.load()
    give_hint(pick(exercise_id, progress, for_current=True), progress, out)


def solution(exercise_id: str | None, out: Console) -> None:
    progress = ExerciseProgress.load()
    show_solution(pick(exercise_id, progress, for_current=True), progress, out)


def reset_exercise(exercise_id: str | None, out: Console) -> None:
    progress = ExerciseProgress.load()
    reset(pick(exercise_id, progress, for_current=True), progress, Path.cwd(), out)


def _judge(exercise: Exercise, file: Path, seed: int | None, status, show) -> Verdict:
    from restate_play.exercises.checking import check_file

    verdict = check_file(exercise, file, seed=seed, status=status, show=show)
    progress = ExerciseProgress.load()  # re-read: --hint may have run in another shell meanwhile
    progress.record_check(exercise.id, verdict.changed, verdict.passed)
    return verdict


def _shower(exercise: Exercise, out: Console, as_json: bool):
    """How a verdict is shown: JSON, or the learner's lines with the next exercise when it passed."""

    def show(verdict: Verdict) -> None:
        if as_json:
            from restate_play.commands.common import print_json

            print_json(verdict.to_dict())
            return
        upcoming = next_exercise(load_exercises(), ExerciseProgress.load(), skip=exercise.id)
        show_verdict(verdict, out, upcoming if verdict.passed else None)

    return show


def check_once(exercise_id: str | None, file: Path | None, seed: int | None, as_json: bool, out: Console, status):
    """--check: one verdict, no watching; exit 0 passed, 1 not yet."""
    progress = ExerciseProgress.load()
    exercise = pick(exercise_id, progress)
    if file is None:
        file = learner_file(exercise, Path.cwd())
        if not file.exists():
            status(f"No {file.name} here: checking the untouched starting file {exercise.start}.")
            file = exercise.start
    elif not file.is_file():
        raise PlayError(f"No such file: {file.resolve()}", f"Name your copy of {exercise.file_name} with --file.")
    try:
        verdict = _judge(exercise, file, seed, status, _shower(exercise, out, as_json))
    except PlayError as err:  # the file does not even serve (a syntax error, no service): not yet
        from restate_play.errors import report

        report(err, as_json)
        raise typer.Exit(1) from None
    raise typer.Exit(0 if verdict.passed else 1)


def run_exercise(exercise_id: str | None, out: Console, status) -> None:
    """Explain, write the starting file into the current directory, check it on every save."""
    from restate_play.errors import report

    progress = ExerciseProgress.load()
    exercise = pick(exercise_id, progress)
    exercises = load_exercises()
    path, written = write_start(exercise, Path.cwd().resolve())
    progress.start(exercise.id, path)
    introduce(exercise, exercises.index(exercise) + 1, len(exercises), path, written, out)

    def check() -> None:
        _judge(exercise, path, None, status, _shower(exercise, out, False))

    watch_file(path, check, status, lambda err: report(err, False))
