"""`restate-play new <pattern> [DIR]`: a standalone project made from a pattern, to take away.

    DIR/app.py                the pattern's services and `app = restate.app(services)`:
                              `hypercorn app:app` serves it without the playground
    DIR/bodies.py             the typed request bodies it uses (when it uses them)
    DIR/scenario.toml         the pattern's scenario, `#:schema ./scenario.schema.json`
    DIR/scenario.schema.json  for editors' completion (`restate-play scenario schema`)
    DIR/crash.toml            the crash demo's scenario (when the pattern has one)
    DIR/test_scenario.py      pytest: `restate-play run . --json` passes
    DIR/test_app.py           pytest with the `restate` fixture: the first request, the crash demo
    DIR/README.md             the curl lines and the commands

The emulated world (bookings, payments, mail…) and its ledger stay imported from
`restate_play.world`, the playground's public API for recording side effects.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from restate_play.errors import PlayError
from restate_play.paths import scenarios_dir
from restate_play.patterns.catalog import Pattern, available_patterns, get_pattern
from restate_play.scenario.schema import schema_text
from restate_play.testing import project_test

SCHEMA_LINE = "#:schema ./scenario.schema.json"
APP_LINES = """
# Serve it with `hypercorn app:app`, or `restate-play run .` / `restate-play serve .`
app = restate.app(services)
"""
_BODIES_IMPORT = re.compile(r"^from restate_play\.patterns\.bodies import ", re.MULTILINE)


@dataclass(frozen=True)
class Made:
    directory: Path
    files: list[str]


def can_be_project(pattern: Pattern) -> str | None:
    """Why a pattern cannot become a project of its own yet (None: it can)."""
    if not pattern.available:
        return "it is not ported yet"
    if pattern.needs:
        return f"it needs {' and '.join(sorted(pattern.needs))}, which only `run {pattern.slug}` starts"
    if pattern.client_ports or pattern.world_process:
        return "its client app or webhooks run beside it in the playground only"
    return None


def projects() -> list[Pattern]:
    return [p for p in available_patterns() if can_be_project(p) is None]


def new_project(slug: str, directory: Path | None) -> Made:
    pattern = get_pattern(slug)
    why = can_be_project(pattern)
    if why is not None:
        names = ", ".join(p.slug for p in projects())
        raise PlayError(f"`new {slug}`: {why}.", f"Patterns that make a project today: {names}.")
    directory = (directory or Path(slug)).resolve()
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise PlayError(
            f"{directory} already exists and is not empty: `new` never overwrites files.",
            f"Pick a new directory: `restate-play new {slug} {directory.name}-2`.",
        )
    files = _files(pattern)
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return Made(directory, list(files))


def _files(pattern: Pattern) -> dict[str, str]:
    source = _pattern_source(pattern)
    files = {"app.py": _app_py(source)}
    if _BODIES_IMPORT.search(source):
        files["bodies.py"] = _module_file("restate_play.patterns.bodies").read_text(encoding="utf-8")
    files["scenario.toml"] = _with_schema(scenarios_dir() / pattern.default_scenario)
    files["scenario.schema.json"] = schema_text()
    crash = scenarios_dir() / f"{pattern.slug}.crash.toml"
    if crash.is_file():
        files["crash.toml"] = _with_schema(crash)
    files["test_scenario.py"] = TEST_PY
    files["test_app.py"] = project_test.app_tests(
        pattern, scenarios_dir() / pattern.default_scenario, crash if crash.is_file() else None
    )
    files["README.md"] = _readme(pattern, "crash.toml" in files)
    return files


def _module_file(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    assert spec and spec.origin, module
    return Path(spec.origin)


def _pattern_source(pattern: Pattern) -> str:
    return _module_file(pattern.module).read_text(encoding="utf-8")


def _app_py(source: str) -> str:
    """The pattern's module, its bodies imported from beside it, ending with a runnable `app`."""
    text = _BODIES_IMPORT.sub("from bodies import ", source).rstrip() + "\n"
    if not re.search(r"^import restate$", text, re.MULTILINE):
        text = text.replace("\nfrom restate", "\nimport restate\nfrom restate", 1)
    return text + APP_LINES


def _with_schema(path: Path) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [line for line in lines if not line.startswith("#:schema")]
    return "\n".join([SCHEMA_LINE, *lines]) + "\n"


def _readme(pattern: Pattern, crash: bool) -> str:
    curls = "\n".join(pattern.curls) or "# (this pattern's document has no curl lines)"
    crash_line = (
        "restate-play crash-demo .        # SIGKILL mid-invocation, watch the journal replay\n" if crash else ""
    )
    return README.format(title=pattern.title, slug=pattern.slug, summary=pattern.summary, curls=curls, crash=crash_line)


README = """# {title}

Made with `restate-play new {slug}`: {summary}

- `app.py`: the services, ending with `app = restate.app(services)`. Its outside world (the
  providers it calls, and the *ledger* of what they did) comes from `restate_play.world`; record
  your own side effects with `from restate_play.world import ledger; ledger.record("thing.done", id=...)`
  and check them with `expect_ledger` steps.
- `test_app.py`: pytest tests with restate-play's `restate` fixture (a real server, crashes at a
  journal entry, journal/state/ledger assertions); add your own beside them.
- `scenario.toml`: what `restate-play run .` sends and checks (`restate-play scenario actions`
  lists the steps; `scenario.schema.json` gives editors completion).

## Commands

```shell
restate-play run .               # the scenario on a fresh sandbox: live view, checks, verdict
restate-play run . --watch       # save a file: the service restarts and the scenario plays again
restate-play serve .             # up on 8080/9070/9080 until Ctrl-C (--watch reloads on save)
{crash}python -m pytest              # test_scenario.py (the scenario passes) and test_app.py (the `restate` fixture)
hypercorn app:app --bind 127.0.0.1:9080   # without the playground (register it with your restate-server)
```

## Requests (against `restate-play serve .`)

```shell
{curls}
```
"""

TEST_PY = '''"""The scenario passes against this project's services (a fresh restate-server each run)."""

import json
import subprocess
from pathlib import Path


def test_scenario_passes() -> None:
    here = Path(__file__).parent
    done = subprocess.run(
        ["restate-play", "run", str(here), "--json"], capture_output=True, text=True, timeout=180, check=False
    )
    result = json.loads(done.stdout)
    failed = [c for c in result.get("checks", []) if not c["passed"]]
    assert done.returncode == 0 and not failed, result.get("error") or failed or done.stderr[-2000:]
'''
