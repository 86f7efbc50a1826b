"""`restate-play db sql "SELECT * FROM users"`: the Database document's psql lines, as a table."""

from __future__ import annotations

import os

from rich.table import Table
from rich.text import Text

from restate_play.commands.common import pick_serve, print_json, running_serves, stdout_console
from restate_play.errors import PlayError
from restate_play.sandbox.sql_rows import redact, run_sql


def resolve_database_url(explicit: str | None) -> str:
    """--database-url, else $RESTATE_PLAY_DATABASE_URL, else the running `serve`'s PostgreSQL."""
    if explicit:
        return explicit
    if os.environ.get("RESTATE_PLAY_DATABASE_URL"):
        return os.environ["RESTATE_PLAY_DATABASE_URL"]
    serve = pick_serve(having="postgres", flag="--database-url", value=lambda s: s.raw["components"]["postgres"]["url"])
    if serve is None:
        others = running_serves()
        if not others:
            raise PlayError(
                "No running `restate-play serve` to take the database from.",
                "Start one with `restate-play serve database`, or give a database with --database-url postgresql://…",
            )
        raise PlayError(
            f"The running `restate-play serve {', '.join(s.pattern for s in others)}` has no database.",
            "Start `restate-play serve database`, or give a database with --database-url postgresql://…",
        )
    postgres = serve.raw["components"]["postgres"]
    return postgres["url"]


def run_sql_command(query: str, database_url: str | None, as_json: bool) -> None:
    url = resolve_database_url(database_url)
    result = run_sql(url, query)
    if as_json:
        print_json(result.to_dict())
        return
    out = stdout_console()
    if not result.columns:  # INSERT, UPDATE, DDL…: PostgreSQL's command tag says what happened
        out.print(result.status or "OK")
        return
    table = Table()
    for column in result.columns:
        table.add_column(column, overflow="fold")
    for row in result.rows:
        table.add_row(*("NULL" if row[c] is None else str(row[c]) for c in result.columns))
    out.print(table)
    out.print(Text(f"{result.status} · {redact(url)}", style="dim"))
