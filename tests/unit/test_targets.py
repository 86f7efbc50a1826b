"""TARGET resolution (pattern, directory, file, module:attr, a command, a deployment), finding a
module's services, `new`."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
import restate

from restate_play.commands.new import new_project, projects
from restate_play.commands.targets import refuse_crashes, scenario_file
from restate_play.errors import PlayError
from restate_play.patterns.catalog import get_pattern
from restate_play.sandbox.target import CommandTarget, PatternTarget, PythonTarget, resolve, resolve_any
from restate_play.sandbox.user_code import TargetError, find_app
from restate_play.scenario.model import load


def test_a_pattern_slug_is_the_installed_pattern(tmp_path: Path) -> None:
    target = resolve("sagas", tmp_path)
    assert isinstance(target, PatternTarget) and target.ledger_promised
    assert target.service_args() == ["sagas"] and target.source.endswith("restate_play/patterns/sagas.py")


def test_a_directory_serves_its_app_and_plays_its_scenario(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("")
    (tmp_path / "scenario.toml").write_text("")
    target = resolve(".", tmp_path)
    assert isinstance(target, PythonTarget) and not target.ledger_promised
    assert target.file == tmp_path / "app.py" and target.scenario == tmp_path / "scenario.toml"
    assert target.service_args() == [tmp_path.name, "--path", str(tmp_path), "--file", str(tmp_path / "app.py")]


def test_restate_play_toml_names_the_file_attr_and_scenario(tmp_path: Path) -> None:
    (tmp_path / "svc.py").write_text("")
    (tmp_path / "checks.toml").write_text("")
    (tmp_path / "restate-play.toml").write_text('app = "svc.py:services"\nscenario = "checks.toml"\n')
    target = resolve(str(tmp_path), Path("/"))
    assert isinstance(target, PythonTarget)
    assert (target.file, target.attr, target.scenario) == (tmp_path / "svc.py", "services", tmp_path / "checks.toml")


def test_a_file_and_module_attr(tmp_path: Path) -> None:
    (tmp_path / "shop.py").write_text("")
    file = resolve("shop.py:app", tmp_path)
    assert isinstance(file, PythonTarget) and (file.file, file.attr, file.root) == (
        tmp_path / "shop.py",
        "app",
        tmp_path,
    )
    module = resolve("shop.main:app", tmp_path)
    assert isinstance(module, PythonTarget) and (module.module, module.attr, module.root) == (
        "shop.main",
        "app",
        tmp_path,
    )
    assert module.service_args()[-4:] == ["--module", "shop.main", "--attr", "app"]


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("sagsa", "Did you mean 'sagas'"),
        ("missing.py", "No such file"),
        ("shop:not-a-name", "is not a Python name"),
        ("shop/main:app", "is not a module name"),
        ("./empty", "has no app.py"),
    ],
)
def test_resolution_errors_say_what_to_type(tmp_path: Path, spec: str, words: str) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(PlayError) as err:
        resolve(spec, tmp_path)
    assert words in str(err.value)


def test_a_directory_whose_toml_names_a_missing_file(tmp_path: Path) -> None:
    (tmp_path / "restate-play.toml").write_text('app = "gone.py"\n')
    with pytest.raises(PlayError, match="restate-play.toml names 'gone.py'"):
        resolve(".", tmp_path)
    (tmp_path / "restate-play.toml").write_text("app = \n")
    with pytest.raises(PlayError, match="restate-play.toml"):
        resolve(".", tmp_path)


def test_no_scenario_says_how_to_write_one(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("")
    with pytest.raises(PlayError) as err:
        scenario_file(resolve(".", tmp_path), None)
    assert "has no scenario" in err.value.message and "[[step]]" in (err.value.hint or "")
    with pytest.raises(PlayError, match="No scenario file"):
        scenario_file(resolve(".", tmp_path), str(tmp_path / "nope.toml"))


def _module(**attrs: object) -> types.ModuleType:
    module = types.ModuleType("users")
    vars(module).update(attrs)
    return module


def test_find_app_takes_services_app_or_what_the_module_defines() -> None:
    a, b = restate.Service("A"), restate.VirtualObject("B")
    assert callable(find_app(_module(services=[a, b]), None, "m"))
    assert callable(find_app(_module(x=a, y=b), None, "m"))  # found at the module's top level
    assert callable(find_app(_module(app=restate.app([a])), None, "m"))
    assert callable(find_app(_module(svc=a), "svc", "m"))


@pytest.mark.parametrize(
    ("module", "attr", "words"),
    [
        (_module(services=[restate.Service("A"), restate.Service("A")]), None, "two services are named A"),
        (_module(x=1), None, "defines no Restate service"),
        (_module(services=[1]), None, "should be a list of Restate services"),
        (_module(app=3), None, "expected restate.app(...)"),
        (_module(x=1), "app", "has no attribute 'app'. It has: x"),
    ],
)
def test_find_app_errors(module: types.ModuleType, attr: str | None, words: str) -> None:
    with pytest.raises(TargetError) as err:
        find_app(module, attr, "m")
    assert words in str(err.value)


def test_new_writes_a_standalone_project(tmp_path: Path) -> None:
    made = new_project("sagas", tmp_path / "trip")
    assert set(made.files) >= {"app.py", "bodies.py", "scenario.toml", "scenario.schema.json", "test_scenario.py"}
    app = (tmp_path / "trip" / "app.py").read_text()
    assert "from bodies import" in app and "restate_play.patterns" not in app
    assert app.rstrip().endswith("app = restate.app(services)")
    compile(app, "app.py", "exec")
    assert (tmp_path / "trip" / "scenario.toml").read_text().startswith("#:schema ./scenario.schema.json\n")
    assert "curl localhost:8080/BookingWorkflow/run" in (tmp_path / "trip" / "README.md").read_text()


def test_new_refuses_a_non_empty_directory_and_patterns_it_cannot_take(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep")
    with pytest.raises(PlayError, match="not empty"):
        new_project("sagas", tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]
    with pytest.raises(PlayError, match="needs kafka"):
        new_project("event-transactions", tmp_path / "x")
    assert "sagas" in [p.slug for p in projects()]


# -- any language: --service-cmd and --deployment -------------------------------------------------


def test_a_command_with_a_pattern_plays_the_patterns_scenario(tmp_path):
    target = resolve_any("sagas", service_cmd="npx tsx src/app.ts", cwd=tmp_path)
    assert isinstance(target, CommandTarget) and target.cwd == tmp_path and target.base.slug == "sagas"
    assert scenario_file(target, None).name == "sagas.toml"
    assert target.pattern.services == get_pattern("sagas").services and target.pattern.client_ports == ()
    assert not target.ledger_promised  # any language may keep no ledger: then "not observed"


def test_a_command_in_a_directory_plays_its_scenario(tmp_path):
    (tmp_path / "scenario.toml").write_text("[[step]]\nsay = 'hi'\n")
    target = resolve_any(".", service_cmd="npm start", cwd=tmp_path)
    assert isinstance(target, CommandTarget) and target.scenario == tmp_path / "scenario.toml"
    assert target.name == tmp_path.name and "npm start" in target.source


def test_deployment_urls_are_loopback_only(tmp_path):
    assert resolve_any(None, deployment="127.0.0.1:9080").url == "http://127.0.0.1:9080"
    with pytest.raises(PlayError, match="loopback"):
        resolve_any(None, deployment="http://example.com:9080")
    with pytest.raises(PlayError, match="exclude each other"):
        resolve_any(None, service_cmd="x", deployment="http://127.0.0.1:1")
    with pytest.raises(PlayError, match="Name what to serve"):
        resolve_any(None)
    with pytest.raises(PlayError, match="is Python code"):
        (tmp_path / "app.py").write_text("app = None\n")
        resolve_any("app.py:app", service_cmd="x", cwd=tmp_path)


def test_a_deployment_refuses_crash_and_restart_steps_by_number(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[[step]]\nsay = "x"\n\n[[step]]\nrestart = "service"\n')
    target = resolve_any(None, deployment="http://127.0.0.1:9")
    with pytest.raises(PlayError, match=r"step 2 \(restart = \"service\"\) restarts the service") as err:
        refuse_crashes(target, load(path), path)
    assert "--service-cmd" in (err.value.hint or "")
    path.write_text('[[step]]\ncrash = "server"\nrestart_after = 0.5\n')  # the server is the sandbox's own
    refuse_crashes(target, load(path), path)
