"""The entry point: the lookups a person types again and again run without typer.

Importing typer and building every command's parameters takes ~0.25 s (typer 0.28; 0.29 routes
them through pydantic, ~0.6 s, hence the cap in pyproject.toml), three times a whole lookup here.
`state get`, `invocations list|describe|restart|resume` with plain arguments are parsed here (their
declared options, see `_parse`) and run at once; anything else (`--help`, a mistake, any other
command) goes to the typer app in `cli`, which also words the usage errors. The options here are
the typer commands' options: tests/unit/test_lookup_commands.py checks both accept the same ones.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NamedTuple


class Lookup(NamedTuple):
    target: str  # "module:function", called with the typer command's parameter names
    arguments: tuple[str, ...]
    options: dict[str, tuple[str, type]] = {}  # noqa: RUF012  --flag: (parameter, str|int|bool)


_COMMON = {"--admin-url": ("admin_url", str), "--json": ("as_json", bool)}
LOOKUPS: dict[tuple[str, str], Lookup] = {
    ("state", "get"): Lookup(
        "restate_play.commands.state:get_state", ("service", "key"), {**_COMMON, "--wide": ("wide", bool)}
    ),
    ("invocations", "list"): Lookup(
        "restate_play.commands.invocations:list_invocations",
        (),
        {
            "--service": ("service", str),
            "--status": ("status", str),
            "--limit": ("limit", int),
            **_COMMON,
            "--wide": ("wide", bool),
        },
    ),
    ("invocations", "describe"): Lookup(
        "restate_play.commands.invocations:describe_invocation", ("invocation_id",), dict(_COMMON)
    ),
    ("invocations", "restart"): Lookup(
        "restate_play.commands.fix_forward:restart_invocation",
        ("invocation_id",),
        {
            "--from": ("start_from", str),
            "--deployment": ("deployment", str),
            "--dry-run": ("dry_run", bool),
            "--attach": ("attach", bool),
            **_COMMON,
        },
    ),
    ("invocations", "resume"): Lookup(
        "restate_play.commands.fix_forward:resume_invocation",
        ("invocation_id",),
        {"--deployment": ("deployment", str), **_COMMON},
    ),
}
DEFAULTS = {"limit": 50, "start_from": "0"}


class _NotPlain(Exception):
    """The arguments are not a plain lookup: typer takes them (and words the usage error)."""


def _value(kind: type, text: str) -> object:
    try:
        return kind(text)
    except ValueError:
        raise _NotPlain(f"{text!r} is not {kind.__name__}") from None


def _parse(lookup: Lookup, args: Sequence[str]) -> dict[str, object]:
    """`--flag value`, `--flag=value`, bare flags and the positional arguments, nothing else: not
    argparse, which costs more to import and build (~15 ms) than this whole fast path allows."""
    params: dict[str, object] = {
        dest: False if kind is bool else DEFAULTS.get(dest) for dest, kind in lookup.options.values()
    }
    positional, rest = [], list(args)
    while rest:
        arg = rest.pop(0)
        if not arg.startswith("-") or arg == "-":
            positional.append(arg)
            continue
        flag, has_value, inline = arg.partition("=")
        if flag not in lookup.options:
            raise _NotPlain(f"unknown option {flag}")
        dest, kind = lookup.options[flag]
        if kind is bool:
            if has_value:
                raise _NotPlain(f"{flag} takes no value")
            params[dest] = True
        elif has_value:
            params[dest] = _value(kind, inline)
        elif rest:
            params[dest] = _value(kind, rest.pop(0))
        else:
            raise _NotPlain(f"{flag} needs a value")
    if len(positional) != len(lookup.arguments):
        raise _NotPlain("wrong number of arguments")
    return {**dict(zip(lookup.arguments, positional, strict=True)), **params}


def plain_lookup(argv: Sequence[str]) -> tuple[Lookup, dict[str, object]] | None:
    """The lookup and its parameters when `argv` is a plain lookup, else None."""
    lookup = LOOKUPS.get(tuple(argv[:2]))  # type: ignore[arg-type]
    if lookup is None or any(a in ("--help", "-h") or a.startswith("--help") for a in argv):
        return None
    try:
        return lookup, _parse(lookup, argv[2:])
    except _NotPlain:
        return None


def _run(lookup: Lookup, params: dict[str, object]) -> int:
    from restate_play.errors import PlayError, report

    module, _, name = lookup.target.partition(":")
    try:
        __import__(module)  # not importlib.import_module: the importlib package costs ~2 ms more
        getattr(sys.modules[module], name)(**params)
    except PlayError as err:
        report(err, bool(params.get("as_json")))
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


def main() -> None:
    found = plain_lookup(sys.argv[1:])
    if found is None:
        from restate_play.cli import main as full

        full()
        return
    sys.exit(_run(*found))
