"""`restate-play list`."""

from __future__ import annotations

from rich.table import Table

from restate_play.commands.common import print_json, stdout_console
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
    for category in CATEGORIES:
        table = Table(
            title=category,
            title_justify="left",
            title_style="bold",
            show_header=False,
            show_edge=False,
            pad_edge=False,
            box=None,
        )
        table.add_column("slug", style="bold cyan", no_wrap=True, min_width=24)
        table.add_column("title")
        table.add_column("summary", style="dim")
        for p in (p for p in PATTERNS if p.category == category):
            slug = p.slug if p.available else f"[dim]{p.slug}[/]"
            title = p.title + ("" if p.available else " [yellow](not ported yet)[/]")
            table.add_row(slug, title, p.summary)
        out.print(table)
        out.print()
    out.print("Run one:  [bold]restate-play run <slug>[/]    Keep one up for curl:  [bold]restate-play serve <slug>[/]")
