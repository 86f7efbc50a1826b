"""`restate-play tutorial`: the guided mode, on the real thing (see restate_play/tutorial/)."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.text import Text

from restate_play.errors import PlayError
from restate_play.tutorial.chapters import find_chapter, load_chapters
from restate_play.tutorial.flow import Tutorial, chapter_rows
from restate_play.tutorial.progress import Progress, progress_file, scripted_progress_file


def list_chapters(as_json: bool, out: Console) -> None:
    chapters = load_chapters()
    rows = chapter_rows(chapters, Progress.load())
    if as_json:
        from dataclasses import asdict

        from restate_play.commands.common import print_json

        print_json({"progress_file": str(progress_file()), "chapters": [asdict(r) for r in rows]})
        return
    from restate_play.views.tutorial import chapter_list

    out.print(chapter_list(rows))
    out.print(
        Text(f"Progress: {progress_file()} · `restate-play tutorial` picks up at ▶", style="dim"), highlight=False
    )


def reset_progress(out: Console) -> None:
    """Start over: forget the learner's progress and the one `--answers` plays from (exercises are kept)."""
    files = (progress_file(), scripted_progress_file())
    removed = [path for path in files if Progress.load(path).reset()]
    if removed:
        out.print(f"Tutorial progress reset: removed {', '.join(str(p) for p in removed)}.", soft_wrap=True)
    else:
        out.print("No tutorial progress to reset.")
    out.print("Exercise progress is kept: `restate-play exercise --reset ID` starts an exercise over.")


def make_tutorial(prompter, out: Console, mode: str, status=None, progress: Progress | None = None) -> Tutorial:
    from restate_play.commands.run import print_summary, run_pattern

    return Tutorial(
        load_chapters(),
        progress or Progress.load(),
        prompter,
        out,
        play=run_pattern,
        show=print_summary,
        mode=mode,
        status=status,
    )


def run_tutorial(chapter: str | None, answers: str | None) -> None:
    from restate_play.commands.common import stderr_console

    if chapter:
        find_chapter(load_chapters(), chapter)  # unknown names fail before anything starts
    interactive = answers is None
    if interactive and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise PlayError(
            "The tutorial is interactive: it needs a terminal (stdin and stdout are not both a TTY).",
            "Run it in a terminal, or script it with one choice per question: "
            "restate-play tutorial --answers 2,1,3 (numbers from 1, or letters).",
        )
    from restate_play.tutorial.prompts import QuestionaryPrompter, ScriptedPrompter, parse_answers

    tty = sys.stdout.isatty()
    # Not a terminal: plain text, but still wrapped to the width, so panels stay whole.
    out = Console(highlight=False) if tty else Console(no_color=True, force_terminal=False, highlight=False)
    err = stderr_console()
    prompter = QuestionaryPrompter() if interactive else ScriptedPrompter(parse_answers(answers or ""), out.print)
    # --answers plays from and to a file of its own: a script never overwrites the learner's progress.
    progress = None if interactive else Progress.load(scripted_progress_file())
    tutorial = make_tutorial(
        prompter, out, "live" if tty else "plain", status=lambda m: err.print(f"[dim]{m}[/]"), progress=progress
    )
    if not interactive:
        tutorial.resume_command = "restate-play tutorial --answers …"
    try:
        tutorial.run(chapter)
    except KeyboardInterrupt:
        # The sandbox of the interrupted step was stopped on the way out (its `with` block).
        err.print(f"Tutorial interrupted: no process left behind. {tutorial.resume_hint()}", style="yellow")
        raise typer.Exit(130) from None
