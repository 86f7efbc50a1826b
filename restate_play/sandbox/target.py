"""What the sandbox serves: a *target*. A built-in pattern or the user's own Python code.

    restate-play run sagas              a pattern (from the installed package, always)
    restate-play run .                  a directory: its app.py, or what its restate-play.toml names
    restate-play run app.py             a Python file (optionally app.py:attr)
    restate-play run shop.main:app      module:attr, imported with the working directory on sys.path

Every target is served by the same single-PID service process (`service_main`), which takes the
arguments `service_args()` gives; the parent never imports the user's code (nothing of it runs
in the playground's own process, and its import errors land in the service log). A later kind of
target (a command in another language, an already running deployment) adds one class here.
"""

from __future__ import annotations

import importlib.util
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from restate_play.errors import PlayError
from restate_play.patterns.catalog import Pattern, get_pattern

PROJECT_FILE = "restate-play.toml"  # optional, in a directory target: app = "…", scenario = "…"
DEFAULT_APP = "app.py"
DEFAULT_SCENARIO = "scenario.toml"
USER_CATEGORY = "Your code"
_MODULE_RE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")


@dataclass(frozen=True)
class PatternTarget:
    """A built-in pattern: its module comes from the installed restate_play, whatever the cwd."""

    pattern: Pattern
    ledger_promised = True  # every pattern records its side effects (CONTRIBUTING: World)

    @property
    def name(self) -> str:
        return self.pattern.slug

    @property
    def source(self) -> str:
        spec = importlib.util.find_spec(self.pattern.module)
        return spec.origin if spec and spec.origin else self.pattern.module

    @property
    def root(self) -> Path:
        return Path(self.source).parent

    @property
    def scenario(self) -> Path | None:
        return None  # the pattern's scenarios live in scenarios/ (commands.run.scenario_path)

    def service_args(self) -> list[str]:
        return [self.pattern.slug]


@dataclass(frozen=True)
class PythonTarget:
    """The user's Python code: a file (`file`) or a module found on `root` (`module`), and which
    attribute holds the services (`attr`: a restate.app(...), a list of services; None: found)."""

    spec: str  # as the user typed it
    root: Path  # put on the service's sys.path; watched by --watch
    file: Path | None = None
    module: str | None = None
    attr: str | None = None
    scenario: Path | None = None  # a directory's scenario.toml (or what its restate-play.toml names)
    ledger_promised = False  # user code may or may not record to restate_play.world's ledger

    @property
    def name(self) -> str:
        return self.file.stem if self.file else (self.module or "app")

    @property
    def source(self) -> str:
        what = str(self.file) if self.file else f"module {self.module} (from {self.root})"
        return f"{what}:{self.attr}" if self.attr else what

    @property
    def pattern(self) -> Pattern:
        # The catalog entry the sandbox and views work with; the services are learnt at registration.
        return Pattern(self.name, f"{self.name} ({self.source})", USER_CATEGORY, "Your own services.", ())

    def service_args(self) -> list[str]:
        args = [self.name, "--path", str(self.root)]
        args += ["--file", str(self.file)] if self.file else ["--module", str(self.module)]
        return args + (["--attr", self.attr] if self.attr else [])


Target = PatternTarget | PythonTarget


def resolve(spec: str, cwd: Path | None = None) -> Target:
    """TARGET as typed: a pattern slug, a directory, a .py file (optionally :attr), or module:attr."""
    cwd = (cwd or Path.cwd()).resolve()
    left, sep, attr = spec.rpartition(":") if ":" in spec else (spec, "", "")
    if sep:
        if not attr.isidentifier():
            raise PlayError(f"'{spec}': '{attr}' is not a Python name.", "Write module:attr or file.py:attr.")
        if left.endswith(".py"):
            return _file(spec, cwd / left, attr)
        if not _MODULE_RE.match(left):
            raise PlayError(f"'{spec}': '{left}' is not a module name.", "Write module:attr, e.g. shop.main:app.")
        return PythonTarget(spec, cwd, module=left, attr=attr)
    path = cwd / spec
    path_like = "/" in spec or spec in (".", "..") or spec.endswith(".py")
    if path.is_dir() and path_like:
        return _directory(spec, path)
    if spec.endswith(".py"):
        return _file(spec, path, None)
    try:
        pattern = get_pattern(spec)
    except PlayError as err:
        if path.is_dir():
            return _directory(spec, path)
        raise PlayError(
            f"'{spec}' is neither a pattern, a directory, a .py file nor module:attr.",
            (err.hint or "") + " A directory or file of yours: `restate-play run ./DIR`, `run app.py`.",
        ) from None
    if not pattern.available:
        raise PlayError(f"The pattern '{spec}' is not ported yet.", "See `restate-play list` for what runs today.")
    return PatternTarget(pattern)


def _file(spec: str, path: Path, attr: str | None) -> PythonTarget:
    path = path.resolve()
    if not path.is_file():
        raise PlayError(f"No such file: {path}", "Name a Python file with your Restate services, e.g. app.py.")
    return PythonTarget(spec, path.parent, file=path, attr=attr or None)


def _directory(spec: str, path: Path) -> PythonTarget:
    path = path.resolve()
    config = _project_config(path)
    app = str(config.get("app", DEFAULT_APP))
    scenario = path / str(config.get("scenario", DEFAULT_SCENARIO))
    file, _, attr = app.partition(":")
    if not (path / file).is_file():
        named = f"{PROJECT_FILE} names '{file}'" if "app" in config else f"it has no {DEFAULT_APP}"
        raise PlayError(
            f"The directory {path} is not a target: {named}.",
            f"Put your services in {path / DEFAULT_APP}, or name the file in {path / PROJECT_FILE}: "
            'app = "service.py" (or "service.py:services"). `restate-play new <pattern> DIR` makes a project.',
        )
    target = _file(spec, path / file, attr or None)
    return PythonTarget(
        spec, path, file=target.file, attr=target.attr, scenario=scenario if scenario.is_file() else None
    )


def _project_config(directory: Path) -> dict:
    path = directory / PROJECT_FILE
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise PlayError(f"{path}: {err}", 'It holds e.g. app = "app.py" and scenario = "scenario.toml".') from None
