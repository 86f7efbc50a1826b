"""The exercise loop: explain → write the starting file → check it on every save → next.

rustlings-style: the learner edits a file of their own (written into the current directory),
and every save replays the exercise's checks on a fresh sandbox (`checking.check_file`), with the
verdict in the learner's terms. Hints come in three levels; the solution only after a real
attempt (a check of a changed file). Progress lives in `progress.ExerciseProgress`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel
from rich.syntax import Syntax
from rich.text import Text

from restate_play.errors import PlayError
from restate_play.exercises.catalog import CHANGE_MARK, Exercise
from restate_play.exercises.progress import ExerciseProgress
from restate_play.exercises.verdict import Verdict


@dataclass
class Row:
    id: str
    title: str
    topic: str
    minutes: int
    mark: str  # ✔ passed, ● tried, · not started
    passed: bool
    attempts: int
    hints: int
    next: bool

    def to_dict(self) -> dict:
        return asdict(self)


def rows(exercises: tuple[Exercise, ...], progress: ExerciseProgress) -> list[Row]:
    upcoming = next_exercise(exercises, progress)
    return [
        Row(
            e.id,
            e.title,
            e.topic,
            e.minutes,
            progress.mark(e.id),
            progress.passed(e.id),
            progress.attempts(e.id),
            progress.hints_shown(e.id),
            upcoming is not None and upcoming.id == e.id,
        )
        for e in exercises
    ]


def next_exercise(
    exercises: tuple[Exercise, ...], progress: ExerciseProgress, skip: str | None = None
) -> Exercise | None:
    """The one worked on last if not passed yet, else the first not passed (None: all done); `skip`:
    one just passed, whose progress may not be saved yet."""
    open_ = [e for e in exercises if not progress.passed(e.id) and e.id != skip]
    return next((e for e in open_ if e.id == progress.last), None) or next(iter(open_), None)


def current(exercises: tuple[Exercise, ...], progress: ExerciseProgress) -> Exercise:
    """What --hint and --solution mean without an id: the exercise worked on last."""
    found = next((e for e in exercises if e.id == progress.last), None)
    if found is None:
        raise PlayError("No exercise started yet.", "Start one with `restate-play exercise` (or name one: ID).")
    return found


def learner_file(exercise: Exercise, cwd: Path) -> Path:
    return cwd / exercise.file_name


def write_start(exercise: Exercise, cwd: Path, overwrite: bool = False) -> tuple[Path, bool]:
    """The learner's copy of the starting file in `cwd`: (path, whether it was written now)."""
    path = learner_file(exercise, cwd)
    if path.exists() and not overwrite:
        return path, False
    path.write_text(exercise.start.read_text(encoding="utf-8"), encoding="utf-8")
    return path, True


def introduce(exercise: Exercise, number: int, total: int, path: Path, written: bool, out: Console) -> None:
    heading = f"Exercise {number}/{total} · {exercise.topic} · {exercise.title}  (~{exercise.minutes} min)"
    out.print(Panel(Markdown(exercise.text.strip()), title=heading, title_align="left"))
    what = "Wrote the starting file" if written else "Your file is already there (kept as you left it)"
    out.print(Text(f"{what}: {path}", style="bold"), soft_wrap=True)
    out.print(
        f"Open it, change what the {CHANGE_MARK} comment marks, and save: every save is checked on a fresh "
        "sandbox. `restate-play exercise --hint` gives a hint; Ctrl-C stops.",
        soft_wrap=True,
    )


def show_verdict(verdict: Verdict, out: Console, upcoming: Exercise | None) -> None:
    name = Path(verdict.file).name
    out.rule(f"{verdict.exercise} · {name} checked in {verdict.seconds:.1f} s")
    if verdict.error:
        out.print(Text(f"error: {verdict.error}", style="bold red"), soft_wrap=True)
    for claim in verdict.claims:
        mark, style = ("✔", "green") if claim.passed else ("✘", "red")
        detail = "" if claim.passed else f" — {claim.detail}"
        out.print(Text(f"  {mark} {claim.title}{detail}", style=style), soft_wrap=True)
    if not verdict.passed:
        out.print(Text("What happened:", style="bold"))
        for line in verdict.proof:
            out.print(Text(f"  {line}"), soft_wrap=True)
    out.print(_bottom_line(verdict, upcoming), soft_wrap=True)


def _bottom_line(verdict: Verdict, upcoming: Exercise | None) -> Text:
    if verdict.passed and not verdict.changed:
        return Text("The untouched starting file: checks prove nothing until you change it.", style="yellow")
    if verdict.passed:
        then = f"Next: `restate-play exercise {upcoming.id}` ({upcoming.title})." if upcoming else "All done!"
        return Text(f"PASSED: all {len(verdict.claims)} checks held. {then}", style="bold green")
    failed = len(verdict.failed) or 1
    untouched = " (this is the untouched starting file)" if not verdict.changed else ""
    return Text(
        f"NOT YET: {failed} of {max(len(verdict.claims), 1)} checks failed{untouched}. "
        "Change the file and save, or `restate-play exercise --hint`.",
        style="bold red",
    )


def give_hint(exercise: Exercise, progress: ExerciseProgress, out: Console) -> int:
    level = progress.next_hint(exercise.id, len(exercise.hints))
    for n in range(1, level + 1):
        style = "bold" if n == level else "dim"
        out.print(Text(f"Hint {n}/{len(exercise.hints)} ({exercise.id}): {exercise.hints[n - 1]}", style=style))
    if level == len(exercise.hints):
        out.print(Text("That was the last hint. After an attempt: `restate-play exercise --solution`.", style="dim"))
    return level


def show_solution(exercise: Exercise, progress: ExerciseProgress, out: Console) -> None:
    """Only after a real attempt: a check of a changed file."""
    if progress.attempts(exercise.id) == 0:
        raise PlayError(
            f"The solution of {exercise.id} opens after your first attempt: no check of a changed file yet.",
            f"Change {exercise.file_name} and save while `restate-play exercise {exercise.id}` watches (or run "
            f"`restate-play exercise {exercise.id} --check`); `restate-play exercise --hint` helps.",
        )
    out.print(Syntax(exercise.solution.read_text(encoding="utf-8"), "python", line_numbers=True))
    out.print(Panel(Markdown(exercise.reasoning.strip()), title="Why", title_align="left"))


def reset(exercise: Exercise, progress: ExerciseProgress, cwd: Path, out: Console) -> None:
    existed = progress.reset(exercise.id)
    path = learner_file(exercise, cwd)
    said = "Progress of " + exercise.id + (" forgotten." if existed else ": nothing saved yet.")
    if path.exists():
        write_start(exercise, cwd, overwrite=True)
        said += f" {path} is the starting file again."
    out.print(said, soft_wrap=True)


def watch_file(
    path: Path, check: Callable[[], None], status: Callable[[str], None], report: Callable[[PlayError], None]
) -> None:
    """Check now, then again on every save of `path`, until Ctrl-C (watch.py's Changes: one watcher)."""
    from restate_play.commands.watch import Changes

    changes = Changes(path.parent)
    try:
        while True:
            try:
                check()
            except PlayError as err:  # e.g. a syntax error: the service did not start
                report(err)
            status(f"Watching {path} for changes; Ctrl-C stops.")
            while str(path) not in changes.next():
                pass  # another file in the directory changed
            status(f"Changed: {path.name}. Checking on a fresh sandbox…")
    finally:
        changes.close()
