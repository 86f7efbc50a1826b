"""The pytest plugin's pure parts: the restate_app marker, delays, the ledger view, project tests."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from restate_play.commands.new import projects
from restate_play.paths import scenarios_dir
from restate_play.restate.records import JournalEntry
from restate_play.sandbox.target import PythonTarget
from restate_play.testing.apps import from_marker
from restate_play.testing.fixture import _delay
from restate_play.testing.handles import Journal, Ledger
from restate_play.testing.project_test import app_tests, literal


def test_marker_reads_a_spec_like_run_does(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("")
    spec = from_marker(("app:app",), {}, tmp_path, tmp_path.parent, tmp_path / "shims")
    target = spec.target()
    assert isinstance(target, PythonTarget) and target.module == "app" and target.attr == "app"
    assert target.root == tmp_path and spec.scope == "module"


def test_marker_finds_a_module_from_the_rootdir(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    tests = tmp_path / "tests"
    tests.mkdir()
    spec = from_marker(("shop.main:app",), {"scope": "test"}, tests, tmp_path, tmp_path / "shims")
    assert spec.root == tmp_path and spec.scope == "test"


def test_marker_rejects_what_it_cannot_serve(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scope='forever'"):
        from_marker(("app:app",), {"scope": "forever"}, tmp_path, tmp_path, tmp_path)
    with pytest.raises(ValueError, match="one argument"):
        from_marker(("a:b", "c:d"), {}, tmp_path, tmp_path, tmp_path)


def test_a_list_of_services_becomes_one_module(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("")
    spec = from_marker((["app:greeter", "app:counter"],), {"env": {"A": 1}}, tmp_path, tmp_path, tmp_path / "shims")
    target = spec.target()
    assert isinstance(target, PythonTarget) and target.attr == "services" and target.root == tmp_path
    assert target.file is not None and "'greeter'" in target.file.read_text() and spec.env == (("A", "1"),)
    compile(target.file.read_text(), str(target.file), "exec")


def test_delay_is_sent_with_a_unit() -> None:
    assert _delay(0.5) == "500ms" and _delay(timedelta(seconds=2)) == "2000ms" and _delay("PT1S") == "PT1S"
    assert _delay(None) is None


def test_journal_names_are_the_named_commands() -> None:
    entries = (
        JournalEntry(0, "Command", "Input"),
        JournalEntry(1, "Command", "Run", "Book flight", completion_id=1),
        JournalEntry(2, "Notification", "Run", "", completion_id=1),
        JournalEntry(3, "Command", "Sleep", "pause", completion_id=2),
        JournalEntry(4, "Command", "Output"),
    )
    journal = Journal(None, entries)
    assert journal.names() == ["Book flight", "pause"]
    assert journal.types() == ["Input", "Run", "Sleep", "Output"] and len(journal) == 5


def test_ledger_counts_only_this_tests_entries(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    line = {"ts": 0, "action": "car.book", "args": {"customer": "4711"}}
    path.write_text(json.dumps(line) + "\n")
    view = Ledger(lambda: path)
    view.begin()
    assert view.count("car.book") == 0
    with path.open("a") as f:
        f.write(json.dumps(line) + "\n" + json.dumps({**line, "args": {"customer": "1"}}) + "\n")
    assert view.count("car.book", customer="4711") == 1 and view.count("car.book") == 2
    assert view.wait_for("car.book", customer="1", timeout=1).args == {"customer": "1"}


def test_literal_is_python_for_toml_values() -> None:
    value = {"a": [1, 2.5, True], "b": {"c": 'say "hi"'}, "d": None}
    assert eval(literal(value)) == value  # noqa: S307 - our own literal


@pytest.mark.parametrize("pattern", projects(), ids=lambda p: p.slug)
def test_every_project_gets_a_test_file_that_compiles(pattern) -> None:
    crash = scenarios_dir() / f"{pattern.slug}.crash.toml"
    text = app_tests(pattern, scenarios_dir() / pattern.default_scenario, crash if crash.is_file() else None)
    compile(text, "test_app.py", "exec")
    assert 'pytest.mark.restate_app("app:app"' in text and "def test_" in text
    assert ("def test_survives_a_crash_after_" in text) == crash.is_file()
