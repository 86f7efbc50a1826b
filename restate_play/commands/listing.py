"""`restate-play list`."""

from __future__ import annotations

from rich.table import Table

from restate_play.commands.common import print_json, stdout_console
from restate_play.paths import scenarios_dir
from restate_play.patterns.catalog import CATEGORIES, PATTERNS


def show_patterns(as_json: bool) -> None:
    if as_json:
        print_json(
            [
                {
                    "slug": p.slug,
                    "title": p.title,
                    "category": p.category,
                    "summary": p.summary,
                    "services": list(p.services),
                    "needs": sorted(p.needs),
                    "source": p.source,
                    "available": p.available,
                    "default_scenario": p.default_scenario,
                }
                for p in PATTERNS
            ]
        )
        return
    out = stdout_console()
    # One table for all groups, so the columns line up; a group is a bold row.
    table = Table(show_header=True, show_edge=False, pad_edge=False, box=None, header_style="dim")
    table.add_column("slug", style="bold cyan", no_wrap=True)
    table.add_column("pattern")
    table.add_column("what it shows", style="dim", ratio=1)
    table.add_column("also", style="magenta", no_wrap=True)
    for category in CATEGORIES:
        table.add_row(f"[bold white]{category}[/]", "", "", "")
        for p in (p for p in PATTERNS if p.category == category):
            slug = p.slug if p.available else f"[dim]{p.slug}[/]"
            title = p.title + ("" if p.available else " [yellow](not ported yet)[/]")
            table.add_row(slug, title, p.summary, _extras(p.slug, p.needs))
        table.add_row("", "", "", "")
    out.print(table)
    out.print(
        "Run one:  [bold]restate-play run <slug>[/]    Keep one up for curl:  [bold]restate-play serve <slug>[/]\n"
        "[magenta]crash[/]: restate-play crash-demo <slug>   [magenta]chaos[/]: restate-play chaos <slug>"
    )


def _extras(slug: str, needs: frozenset[str]) -> str:
    tags = []
    if (scenarios_dir() / f"{slug}.crash.toml").exists():
        tags.append("crash")
    if (scenarios_dir() / f"{slug}.chaos.toml").exists():
        tags.append("chaos")
    tags += sorted(needs)
    return " · ".join(tags)
