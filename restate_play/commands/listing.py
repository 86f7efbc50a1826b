"""`restate-play list`."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from restate_play.commands.common import print_json, stdout_console
from restate_play.paths import scenarios_dir
from restate_play.patterns.catalog import CATEGORIES, PATTERNS


def show_patterns(as_json: bool, wide: bool = False) -> None:
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
    if not out.is_terminal and not wide:  # piped: one whole line per pattern, for grep and less
        for line in _plain_lines():
            print(line)
        return
    table = _table(narrow=out.width < WIDE and not wide)
    if wide:  # every column at its natural width: the terminal wraps long lines
        from restate_play.views.tables import natural_width

        out.width = max(out.width, natural_width(out, table))
    out.print(table)
    out.print(
        "Run one:  [bold]restate-play run <slug>[/]    Keep one up for curl:  [bold]restate-play serve <slug>[/]\n"
        "[magenta]crash[/]: restate-play crash-demo <slug>   [magenta]chaos[/]: restate-play chaos <slug>"
    )


WIDE = 110  # below this, a pattern's summary goes under its title instead of in a column of its own


def _table(narrow: bool) -> Table:
    """One table for all groups, so the columns line up; a group is a bold row."""
    table = Table(show_header=True, show_edge=False, pad_edge=False, box=None, header_style="dim")
    table.add_column("slug", style="bold cyan", no_wrap=True)
    table.add_column("pattern", ratio=1 if narrow else None)
    if not narrow:
        table.add_column("what it shows", style="dim", ratio=1)
        table.add_column("also", style="magenta", no_wrap=True)
    for category in CATEGORIES:
        table.add_row(f"[bold white]{category}[/]", *[""] * (1 if narrow else 3))
        for p in (p for p in PATTERNS if p.category == category):
            slug = p.slug if p.available else f"[dim]{p.slug}[/]"
            title = p.title + ("" if p.available else " [yellow](not ported yet)[/]")
            extras = _extras(p.slug, p.needs)
            if narrow:
                also = f"  [magenta]{extras}[/]" if extras else ""
                table.add_row(slug, f"{title}{also}\n[dim]{escape(p.summary)}[/]")
            else:
                table.add_row(slug, title, p.summary, extras)
        table.add_row(*[""] * (2 if narrow else 4))
    return table


def _plain_lines() -> list[str]:
    lines = []
    for category in CATEGORIES:
        lines.append(category)
        for p in (p for p in PATTERNS if p.category == category):
            extras = _extras(p.slug, p.needs)
            title = p.title + ("" if p.available else " (not ported yet)")
            lines.append(f"  {p.slug:<22} {title}: {p.summary}" + (f" [{extras}]" if extras else ""))
    lines.append("Run one: restate-play run <slug>   Keep one up for curl: restate-play serve <slug>")
    return lines


def _extras(slug: str, needs: frozenset[str]) -> str:
    tags = []
    if (scenarios_dir() / f"{slug}.crash.toml").exists():
        tags.append("crash")
    if (scenarios_dir() / f"{slug}.chaos.toml").exists():
        tags.append("chaos")
    tags += sorted(needs)
    return " · ".join(tags)
