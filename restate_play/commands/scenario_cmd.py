"""`restate-play scenario schema|check|actions|reference`: the scenario format, without starting anything."""

from __future__ import annotations

from pathlib import Path

from restate_play.commands.common import print_json, stdout_console
from restate_play.errors import PlayError


def print_schema() -> None:
    from restate_play.scenario.schema import schema_text

    print(schema_text(), end="")


def _check_one(path: Path) -> str:
    """'' when the file is valid, else the loader's message (file, step, field, what was expected)."""
    from restate_play.scenario.model import load

    try:
        if path.name.endswith(".chaos.toml"):  # a chaos spec, not a scenario: its own loader
            from restate_play.scenario.chaos import load_spec

            load_spec(path)
        else:
            load(path)
    except PlayError as err:
        return err.message
    return ""


def check_files(paths: list[Path], as_json: bool) -> None:
    if not paths:
        raise PlayError("Name at least one scenario file.", "For example: restate-play scenario check scenarios/*.toml")
    results = [(path, _check_one(path)) for path in paths]
    bad = [(p, m) for p, m in results if m]
    if as_json:
        print_json([{"file": str(p), "ok": not m, "error": m or None} for p, m in results])
    else:
        out = stdout_console()
        for path, message in results:
            out.print(f"✘ {message}" if message else f"✔ {path}", highlight=False, soft_wrap=True, markup=False)
        out.print(f"{len(results) - len(bad)} of {len(results)} file(s) valid.")
    if bad:
        raise SystemExit(1)


def print_actions(name: str | None, as_json: bool) -> None:
    from restate_play.scenario.actions import REGISTRY
    from restate_play.scenario.model import nearest
    from restate_play.scenario.reference import action_lines, actions_text, fields

    if name is not None and name not in REGISTRY:
        guess = nearest(name, list(REGISTRY))
        raise PlayError(
            f"No action '{name}'." + (f" Did you mean '{guess}'?" if guess else ""), "Actions: " + ", ".join(REGISTRY)
        )
    names = [name] if name else list(REGISTRY)
    if as_json:
        print_json(
            [
                {
                    "action": n,
                    "summary": REGISTRY[n].summary,
                    "example": REGISTRY[n].example,
                    "fields": [{"field": f, "type": t, "default": d, "description": m} for f, t, d, m in fields(n)],
                }
                for n in names
            ]
        )
        return
    lines = actions_text() if name is None else action_lines(name, with_example=True)
    stdout_console().print("\n".join(lines), highlight=False, soft_wrap=True, markup=False)


def print_reference() -> None:
    from restate_play.scenario.reference import markdown

    print(markdown(), end="")


def new_scenario(target, output: Path | None, force: bool, status) -> Path:
    """Start TARGET on a sandbox, read the handlers it registered, write a starting scenario."""
    from restate_play.loopback_http import loopback_client
    from restate_play.sandbox.sandbox import Sandbox, SandboxOptions
    from restate_play.scenario.schema import schema_text
    from restate_play.scenario.starter import starter_scenario

    path = output or target.root / "scenario.toml"
    if path.exists() and not force:
        raise PlayError(f"{path} exists already: scenario new does not overwrite it.", "Pass --output FILE or --force.")
    with Sandbox(target.pattern, SandboxOptions(), status=status, target=target) as sb:
        with loopback_client(timeout=10.0) as http:
            services = http.get(f"{sb.admin_url}/services").json().get("services", [])
        names = set(sb.pattern.services)
        text = starter_scenario(target.name, [s for s in services if s.get("name") in names])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    schema = path.parent / "scenario.schema.json"  # what the file's #:schema line points editors at
    if not schema.exists():
        schema.write_text(schema_text(), encoding="utf-8")
    return path
