"""What the sandbox serves: a *target*. A built-in pattern or the user's own Python code.

    restate-play run sagas              a pattern (from the installed package, always)
    restate-play run .                  a directory: its app.py, or what its restate-play.toml names
    restate-play run app.py             a Python file (optionally app.py:attr)
    restate-play run shop.main:app      module:attr, imported with the working directory on sys.path

    restate-play run sagas --service-cmd "npx tsx src/booking_workflow.ts"   any language: a command
    restate-play run --deployment http://127.0.0.1:9080 -s checks.toml       a service already running

Python targets are served by the same single-PID service process (`service_main`), which takes the
arguments `service_args()` gives; the parent never imports the user's code (nothing of it runs
in the playground's own process, and its import errors land in the service log). A command is run
as it is, with PORT set; a deployment is only registered, so it cannot be crashed or restarted.
"""

from __future__ import annotations

import importlib.util
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

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
    label: str | None = None  # a directory target: the directory's name (its app.py says little)
    ledger_promised = False  # user code may or may not record to restate_play.world's ledger

    @property
    def name(self) -> str:
        return self.label or (self.file.stem if self.file else (self.module or "app"))

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


@dataclass(frozen=True)
class CommandTarget:
    """A service in any language, started by a shell command that listens on $PORT (or on the fixed
    --service-port). With a pattern (`run sagas --service-cmd …`), the pattern's scenario checks it."""

    command: str
    cwd: Path  # where the command runs; watched by --watch
    base: Pattern | None = None
    scenario: Path | None = None
    ledger_promised = False  # it may append to $RESTATE_PLAY_LEDGER (examples/sagas-typescript does)

    @property
    def name(self) -> str:
        return self.base.slug if self.base else (self.cwd.name or "service")

    @property
    def source(self) -> str:
        return f"the command `{self.command}` (in {self.cwd})"

    @property
    def root(self) -> Path:
        return self.cwd

    @property
    def pattern(self) -> Pattern:
        return _user_pattern(self.name, self.source, self.base)


@dataclass(frozen=True)
class DeploymentTarget:
    """A service the user already runs: registered with the sandbox's server, never started or killed."""

    url: str
    base: Pattern | None = None
    scenario: Path | None = None
    ledger_promised = False

    @property
    def name(self) -> str:
        return self.base.slug if self.base else "deployment"

    @property
    def source(self) -> str:
        return f"the deployment at {self.url} (yours: not started, crashed or restarted by restate-play)"

    @property
    def root(self) -> Path:
        return Path.cwd()

    @property
    def pattern(self) -> Pattern:
        return _user_pattern(self.name, self.source, self.base)


def _user_pattern(name: str, source: str, base: Pattern | None) -> Pattern:
    # With a pattern: its services (and title) until registration tells the real ones; no client app,
    # which is the pattern's own Python code.
    if base is not None:
        return replace(base, title=f"{base.title} (your code)", client_ports=())
    return Pattern(name, f"{name} ({source})", USER_CATEGORY, "Your own services.", ())


Target = PatternTarget | PythonTarget | CommandTarget | DeploymentTarget
USER_TARGETS = (PythonTarget, CommandTarget, DeploymentTarget)  # services learnt when they register


def resolve_any(
    spec: str | None, service_cmd: str | None = None, deployment: str | None = None, cwd: Path | None = None
) -> Target:
    """TARGET with --service-cmd or --deployment: then TARGET is a pattern (its scenario), a directory
    (the command's working directory and its scenario.toml), or absent."""
    if service_cmd and deployment:
        raise PlayError("--service-cmd and --deployment exclude each other.", "Start it (--service-cmd) or name it.")
    if not (service_cmd or deployment):
        if spec is None:
            raise PlayError(
                "Name what to serve: a pattern (`restate-play list`), your directory, file or module:attr.",
                "Or a service in any language: --service-cmd 'npx tsx app.ts', or a running one: --deployment URL.",
            )
        return resolve(spec, cwd)
    base, where, scenario = _base_of(spec, (cwd or Path.cwd()).resolve())
    if service_cmd:
        return CommandTarget(service_cmd, where, base, scenario)
    assert deployment is not None
    return DeploymentTarget(_deployment_url(deployment), base, scenario)


def as_target(spec: str | Target) -> Target:
    return resolve(spec) if isinstance(spec, str) else spec


def _base_of(spec: str | None, cwd: Path) -> tuple[Pattern | None, Path, Path | None]:
    if spec is None:
        return None, cwd, None
    path = (cwd / spec).resolve()
    if path.is_dir():
        scenario = path / str(_project_config(path).get("scenario", DEFAULT_SCENARIO))
        return None, path, scenario if scenario.is_file() else None
    target = resolve(spec, cwd)
    if not isinstance(target, PatternTarget):
        raise PlayError(
            f"'{spec}' is Python code: with --service-cmd or --deployment, TARGET is a pattern or a directory.",
            f"Run it as it is: `restate-play run {spec}`.",
        )
    return target.pattern, cwd, None


def _deployment_url(url: str) -> str:
    if not re.match(r"^https?://", url):
        url = f"http://{url}"
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise PlayError(f"--deployment {url}: the playground talks to loopback only.", "Use http://127.0.0.1:PORT.")
    return url.rstrip("/")


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
    found = scenario if scenario.is_file() else None
    return PythonTarget(spec, path, file=target.file, attr=target.attr, scenario=found, label=path.name)


def _project_config(directory: Path) -> dict:
    path = directory / PROJECT_FILE
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise PlayError(f"{path}: {err}", 'It holds e.g. app = "app.py" and scenario = "scenario.toml".') from None
