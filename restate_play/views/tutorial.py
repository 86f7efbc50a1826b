"""Renderables of the guided tutorial: the chapter list, a handler's code, the verdict, curl hints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.rule import Rule
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text


@dataclass(frozen=True)
class ChapterRow:
    number: int
    id: str
    title: str
    pattern: str
    steps: int
    done: int
    correct: int
    available: bool
    is_next: bool = False


def progress_mark(row: ChapterRow) -> Text:
    if not row.available:
        return Text("coming (pattern not ported yet)", style="dim italic")
    if row.done >= row.steps:
        return Text(f"✔ done · {row.correct}/{row.steps} predicted right", style="green")
    if row.done:
        return Text(f"◐ {row.done}/{row.steps} steps", style="yellow")
    return Text("· not started", style="dim")


def chapter_list(rows: Sequence[ChapterRow]) -> Table:
    table = Table(title="Tutorial chapters", title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("", width=1)
    table.add_column("#", justify="right", style="dim")
    table.add_column("chapter", style="bold", no_wrap=True)
    table.add_column("title")
    table.add_column("pattern", style="magenta", no_wrap=True)
    table.add_column("steps", justify="right")
    table.add_column("progress")
    for row in rows:
        table.add_row(
            Text("▶", style="bold cyan") if row.is_next else "",
            str(row.number),
            Text(row.id, style="bold" if row.available else "dim"),
            Text(row.title, style="" if row.available else "dim"),
            row.pattern,
            str(row.steps),
            progress_mark(row),
        )
    return table


def code_panel(title: str, start_line: int, source: str, highlight: Sequence[str] = ()) -> Panel:
    """A handler's real source, highlighted, with its file's line numbers."""
    lines = source.splitlines()
    marked = {start_line + i for i, line in enumerate(lines) if any(h in line for h in highlight)}
    syntax = Syntax(
        source.rstrip("\n"),
        "python",
        line_numbers=True,
        start_line=start_line,
        highlight_lines=marked,
        theme="monokai",
        word_wrap=True,
    )
    return Panel(syntax, title=title, title_align="left", border_style="magenta")


def step_heading(chapter_no: int, chapters: int, chapter_title: str, step_no: int, steps: int, title: str) -> Text:
    text = Text()
    text.append(f"Chapter {chapter_no}/{chapters} · {chapter_title}", style="bold")
    text.append(f"  —  step {step_no}/{steps}: {title}", style="bold cyan")
    return text


def markdown(text: str) -> Markdown:
    return Markdown(text, code_theme="monokai")


def verdict(chosen: str, right: str, correct: bool, explanation: str) -> Panel:
    head = Text()
    if correct:
        head.append("✔ Right! ", style="bold green")
        head.append(f"You predicted: {chosen}")
    else:
        head.append("✘ Not quite. ", style="bold red")
        head.append(f"You predicted: {chosen}\n")
        head.append("What happened: ", style="bold")
        head.append(right)
    return Panel(
        Group(head, Text(""), markdown(explanation)),
        title="Check: your prediction against what you just saw",
        title_align="left",
        border_style="green" if correct else "red",
    )


def curl_hints(slug: str, curls: Sequence[str], note: str = "") -> RenderableType:
    """The step's requests, to repeat by hand. No box around them, and to be printed with
    `soft_wrap=True`: a long line is left for the terminal to wrap, so copying it gives the command
    and nothing of a border."""
    if not curls:
        return Text("")
    intro = Text()
    intro.append("In another shell: ", style="dim")
    intro.append(f"restate-play serve {slug}", style="bold")
    intro.append("   then:", style="dim")
    lines = [Text(f"$ {line}", style="cyan") for line in curls]
    return Group(Rule("Try it by hand", align="left", style="blue"), intro, *lines, Text(note, style="dim"))
