"""The `new` command's output: the project made, or the list of patterns that make one."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from restate_play.commands.common import stdout_console
from restate_play.commands.new import new_project, projects
from restate_play.errors import PlayError


def make_project(slug: str | None, directory: Path | None, list_them: bool) -> None:
    out = stdout_console()
    if list_them or slug is None:
        if slug is None and not list_them:
            raise PlayError("Which pattern? `restate-play new PATTERN [DIR]`.", "`restate-play new --list` lists them.")
        for pattern in projects():
            out.print(Text.assemble((f"{pattern.slug:<24}", "bold"), pattern.summary), soft_wrap=True)
        return
    made = new_project(slug, directory)
    out.print(Text(f"Made {made.directory}: {', '.join(made.files)}", style="bold green"), soft_wrap=True)
    try:
        where = made.directory.relative_to(Path.cwd())
    except ValueError:
        where = made.directory
    for line in (f"cd {where}", "restate-play run .", "restate-play run . --watch   # replays on every save"):
        out.print(Text(f"  {line}", style="cyan"), soft_wrap=True)
