"""The pytest plugin (entry point `pytest11`): markers, the `restate` fixture, the failure report.

Only pytest and the stdlib are imported here: the plugin loads in every pytest session of an
environment where restate-play is installed, and must cost nothing until a test asks for `restate`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from restate_play.sandbox.sandbox import Sandbox
    from restate_play.testing.apps import AppSpec
    from restate_play.testing.fixture import Restate
    from restate_play.testing.session import Session

FIXTURE_KEY = pytest.StashKey["Restate"]()


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    _leave_the_playground_unrewritten(pluginmanager)  # as early as a plugin can: before conftests import
    group = parser.getgroup("restate", "Restate services (restate-play)")
    group.addoption(
        "--restate-always-replay",
        action="store_true",
        help="Replay every handler from its journal at every await (finds non-deterministic code).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "restate_app(target, scope='module', env=None): the services the `restate` fixture serves: "
        "'module:attr', 'file.py', a directory, or a list of them (or of service objects).",
    )
    config.addinivalue_line(
        "markers", "restate_always_replay: the server lets go at every await, so every step is replayed."
    )


def _leave_the_playground_unrewritten(pluginmanager: pytest.PytestPluginManager) -> None:
    """pytest marks every package of a distribution with a pytest11 entry point for assertion
    rewriting: the ~130 playground modules the fixture imports would be recompiled by pytest
    (~4 s here, and at every run when bytecode is not written). Only the user's asserts need it."""
    marked = getattr(getattr(pluginmanager, "rewrite_hook", None), "_must_rewrite", None)
    if isinstance(marked, set):  # a private detail of pytest: without it, everything still works
        marked.discard("restate_play")


@pytest.fixture(scope="session")
def _restate_session(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    from restate_play.testing.session import Session

    session = Session(tmp_path_factory.mktemp("restate"), request.config.getoption("restate_always_replay"))
    try:
        yield session
    finally:
        session.close()


class _ModuleApps:
    """The service processes of one test module, by (app, always replay); a start-up error is kept."""

    def __init__(self, session: Session):
        self.session = session
        self.started: dict[tuple[AppSpec, bool], Sandbox | BaseException] = {}

    def get(self, spec: AppSpec, always_replay: bool) -> Sandbox:
        key = (spec, always_replay)
        if key not in self.started:
            try:
                self.started[key] = self.session.start_app(spec, always_replay)
            except Exception as err:  # every test of the module fails with it, without retrying
                self.started[key] = err
        found = self.started[key]
        if isinstance(found, BaseException):
            raise found
        return found

    def close(self) -> None:
        for found in self.started.values():
            if not isinstance(found, BaseException):
                self.session.stop_app(found)


@pytest.fixture(scope="module")
def _restate_module_apps(_restate_session: Session) -> Iterator[_ModuleApps]:
    apps = _ModuleApps(_restate_session)
    try:
        yield apps
    finally:
        apps.close()


@pytest.fixture
def restate(request: pytest.FixtureRequest, _restate_session: Session, _restate_module_apps: _ModuleApps) -> Restate:
    """The app named by `pytest.mark.restate_app(...)`, on a real restate-server (see docs/testing.md)."""
    from restate_play.testing.fixture import Restate

    spec = _app_spec(request, _restate_session)
    replay = _restate_session.always_replay or request.node.get_closest_marker("restate_always_replay") is not None
    if spec.scope == "test":
        sandbox = _restate_session.start_app(spec, replay)
        request.addfinalizer(lambda: _restate_session.stop_app(sandbox))
    else:
        sandbox = _restate_module_apps.get(spec, replay)
    fixture = Restate(_restate_session, sandbox, replay)
    fixture.begin()
    request.node.stash[FIXTURE_KEY] = fixture
    return fixture


def _app_spec(request: pytest.FixtureRequest, session: Session) -> AppSpec:
    from restate_play.testing.apps import from_marker

    marker = request.node.get_closest_marker("restate_app")
    if marker is None:
        pytest.fail(
            "The `restate` fixture needs to know what to serve: "
            'pytestmark = pytest.mark.restate_app("app:app") (module:attr, a file, or a list of them).',
            pytrace=False,
        )
    test_dir = Path(request.node.path).parent
    try:
        return from_marker(marker.args, marker.kwargs, test_dir, request.config.rootpath, session.base_dir / "apps")
    except ValueError as err:
        pytest.fail(str(err), pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    fixture = item.stash.get(FIXTURE_KEY, None)
    if fixture is None or report.when != "call" or not report.failed:
        return
    from restate_play.testing.report import failure_sections

    for title, text in failure_sections(fixture):
        report.sections.append((title, text))
