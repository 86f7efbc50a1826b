"""The tutorial without a server: chapters as data, progress, prompts, the loop with a fake run."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from conftest import REPO, cli
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from restate_play.errors import PlayError
from restate_play.paths import scenarios_dir
from restate_play.patterns.catalog import get_pattern
from restate_play.scenario.model import load
from restate_play.scenario.result import Check, RunResult
from restate_play.tutorial.chapters import ChapterError, find_chapter, load_chapters, parse, step_sources
from restate_play.tutorial.flow import Tutorial, chapter_rows, next_position, serve_curls
from restate_play.tutorial.progress import Progress
from restate_play.tutorial.prompts import OutOfAnswers, QuestionaryPrompter, ScriptedPrompter, parse_answers

FOUNDATION = ["durable-steps", "durable-rpc", "virtual-objects", "sagas"]
DOWN = "\x1b[B"


def test_chapters_come_in_learning_order():
    ids = [c.id for c in load_chapters()]
    assert ids == [
        "durable-steps",
        "durable-rpc",
        "virtual-objects",
        "sagas",
        "fix-forward",
        "timers",
        "awakeables",
        "replication",
        "kafka",
    ]


@pytest.mark.parametrize("chapter_id", FOUNDATION)
def test_foundation_chapters_are_playable(chapter_id):
    chapter = find_chapter(load_chapters(), chapter_id)
    assert chapter.available and chapter.steps
    for step in chapter.steps:
        assert 0 <= step.answer < len(step.choices) and len(set(step.choices)) == len(step.choices)
        sources = step_sources(chapter, step)
        assert sources and all("def " in s.text and s.path.startswith("restate_play/patterns/") for s in sources)
        scenario = load(scenarios_dir() / f"{step.scenario}.toml")
        targets = {r.target.split("/")[0] for s in scenario.steps for r in s.requests if r.via == "ingress"}
        assert targets <= set(chapter.pattern.services), (step.scenario, targets)


def test_every_available_chapter_resolves_its_code_and_scenarios():
    for chapter in load_chapters():
        if chapter.available:
            for step in chapter.steps:
                assert step_sources(chapter, step), (chapter.id, step.number)
                load(scenarios_dir() / f"{step.scenario}.toml")


def test_code_is_read_from_the_pattern_module_not_copied():
    (source,) = step_sources(find_chapter(load_chapters(), "sagas"), find_chapter(load_chapters(), "sagas").steps[0])
    from restate_play.patterns import sagas

    module_text = (REPO / "restate_play" / "patterns" / "sagas.py").read_text()
    assert source.text in module_text and "@booking_workflow.handler(" in source.text
    assert module_text.splitlines()[source.start_line - 1].startswith("@booking_workflow.handler")
    assert sagas.run.__name__ == "run"


def test_unknown_chapter_lists_the_chapters():
    with pytest.raises(PlayError) as err:
        find_chapter(load_chapters(), "nope")
    assert "Unknown chapter 'nope'" in err.value.message
    for chapter_id in FOUNDATION:
        assert chapter_id in (err.value.hint or "")


def test_a_pattern_slug_finds_its_first_chapter():
    assert find_chapter(load_chapters(), "stateful-actors").id == "virtual-objects"
    assert find_chapter(load_chapters(), "sagas").id == "sagas"  # an id wins over a slug


BASE = """
[[chapter]]
id = "x"
title = "X"
pattern = "sagas"
[[chapter.step]]
title = "t"
explain = "e"
question = "q?"
choices = ["a", "b"]
scenario = "sagas"
explanation = "because"
"""


@pytest.mark.parametrize(
    "extra, fragment",
    [
        ("answer = 3", "'answer' must be the number of the right choice, 1 to 2"),
        ('answer = 1\nbogus = "x"', "unknown field(s) bogus"),
    ],
)
def test_malformed_chapters_say_where(extra, fragment):
    with pytest.raises(ChapterError) as err:
        parse(BASE + extra + "\n")
    assert "chapter 'x', step 1" in err.value.message and fragment in err.value.message


def test_a_chapter_of_an_unknown_pattern_is_an_error():
    with pytest.raises(PlayError, match="Unknown pattern 'nope'"):
        parse(BASE.replace('pattern = "sagas"', 'pattern = "nope"') + "answer = 1\n")


def test_progress_round_trip_and_resume(tmp_path):
    chapters = load_chapters()
    path = tmp_path / "tutorial.json"
    progress = Progress.load(path)
    assert next_position(chapters, progress)[0].id == "durable-steps"
    progress.start("durable-rpc")
    progress.record("durable-rpc", 1, answer=3, correct=True, run_passed=True)
    again = Progress.load(path)
    assert again.steps_done("durable-rpc") == {1} and again.correct("durable-rpc") == 1
    chapter, step = next_position(chapters, again)
    assert (chapter.id, step) == ("durable-rpc", 2)  # the last chapter, where it stopped
    again.record("durable-rpc", 2, answer=1, correct=False, run_passed=True)
    assert next_position(chapters, Progress.load(path))[0].id == "durable-steps"
    rows = {r.id: r for r in chapter_rows(chapters, Progress.load(path))}
    assert rows["durable-rpc"].done == 2 and rows["durable-steps"].is_next
    assert Progress.load(path).reset() and not path.exists()


def test_a_broken_progress_file_starts_fresh(tmp_path):
    path = tmp_path / "tutorial.json"
    path.write_text("{not json")
    assert Progress.load(path).chapters == {}


def test_scripted_answers():
    assert parse_answers("2, b 1") == ["2", "b", "1"]
    with pytest.raises(PlayError):
        parse_answers("0")
    prompter = ScriptedPrompter(["2", "a"])
    assert prompter.choose("q", ["x", "y"]) == 1 and prompter.go_on("next")
    assert prompter.choose("q", ["x", "y"]) == 0
    with pytest.raises(OutOfAnswers):
        prompter.choose("q", ["x", "y"])
    with pytest.raises(OutOfAnswers):
        prompter.go_on("next")


def test_curl_hints_use_the_ports_of_serve():
    sandbox = {"server": {"ingress": 41001, "admin": 41002}, "service": {"client_ports": [41003, 41004]}}
    requests = [
        {"kind": "call", "curl": "curl -X POST localhost:41003/reserve/product1/reservation1"},
        {"kind": "call", "curl": "curl -X POST localhost:41003/reserve/product1/reservation1"},
        {"kind": "send", "curl": "curl localhost:41001/product/p/reserve/send --json '{}'"},
        {"kind": "attach", "curl": "curl -X GET localhost:41001/restate/invocation/inv_1/attach"},
    ]
    assert serve_curls(requests, sandbox, get_pattern("durable-rpc")) == [
        "curl -X POST localhost:5000/reserve/product1/reservation1",
        "curl localhost:8080/product/p/reserve/send --json '{}'",
    ]


def test_curl_hints_for_kafka_records_subscribe_first_then_publish():
    sub = {"id": "sub_1", "source": "kafka://my-cluster/posts", "sink": "service://userFeed/processPost"}
    sandbox = {"server": {"ingress": 41001, "admin": 41002}, "components": {"kafka": {"subscriptions": [sub]}}}
    requests = [{"kind": "publish", "topic": "posts", "key": "u1", "value": '{"content": "it\'s me"}'}] * 2
    assert serve_curls(requests, sandbox, get_pattern("event-transactions")) == [
        "curl localhost:9070/subscriptions -H 'content-type: application/json' -d "
        '\'{"source": "kafka://my-cluster/posts", "sink": "service://userFeed/processPost", '
        '"options": {"auto.offset.reset": "earliest"}}\'',
        # one line per record, repeats kept: publishing twice is two records
        """restate-play kafka publish posts 'u1:{"content": "it'"'"'s me"}'""",
        """restate-play kafka publish posts 'u1:{"content": "it'"'"'s me"}'""",
    ]


class FakeRun:
    """Stands in for run_pattern: records what would have been played."""

    def __init__(self):
        self.played: list[tuple[str, str]] = []

    def __call__(self, slug, scenario, mode, out, status):
        self.played.append((slug, scenario))
        result = RunResult(slug, scenario, scenario, checks=[Check(1, "held", True)])
        result.sandbox = {"server": {"ingress": 40000, "admin": 40001}, "service": {"client_ports": []}}
        result.requests = [{"kind": "call", "curl": "curl localhost:40000/BookingWorkflow/run --json '{}'"}]
        return result


def test_the_loop_with_questionary_on_a_pipe(tmp_path):
    progress = Progress.load(tmp_path / "t.json")
    fake = FakeRun()
    buf = io.StringIO()
    out = Console(file=buf, width=120, no_color=True)
    with create_pipe_input() as pipe:
        # durable-steps: right (b), Enter, wrong (a); continue; durable-rpc step 1: right (c); then Ctrl-C.
        pipe.send_text(DOWN + "\r" + "\r" + "\r" + "\r" + DOWN + DOWN + "\r" + "\x03")
        with create_app_session(input=pipe, output=DummyOutput()):
            tutorial = Tutorial(load_chapters(), progress, QuestionaryPrompter(), out, fake, lambda r, o: None)
            with pytest.raises(KeyboardInterrupt):
                tutorial.run()
    assert fake.played == [
        ("sagas", "tutorial/durable-steps-crash"),
        ("sagas", "tutorial/durable-steps-retry"),
        ("durable-rpc", "tutorial/durable-rpc-idempotency"),
    ]
    saved = json.loads((tmp_path / "t.json").read_text())
    assert {n: s["correct"] for n, s in saved["chapters"]["durable-steps"]["steps"].items()} == {"1": True, "2": False}
    assert list(saved["chapters"]["durable-rpc"]["steps"]) == ["1"] and saved["last"] == "durable-rpc"
    text = buf.getvalue()
    assert "async def run(ctx: Context" in text and "✔ Right!" in text and "✘ Not quite." in text
    assert "restate-play serve sagas" in text and "curl localhost:8080/BookingWorkflow/run" in text
    assert "resumes at 'Idempotency and durable RPC', step 2" in tutorial.resume_hint()


def test_a_coming_chapter_is_refused_clearly(tmp_path, monkeypatch):
    chapters = load_chapters()
    monkeypatch.setattr(type(chapters[0].pattern), "available", property(lambda self: self.slug != "sagas"))
    tutorial = Tutorial(chapters, Progress.load(tmp_path / "t.json"), ScriptedPrompter([]), Console(), FakeRun(), print)
    with pytest.raises(PlayError, match="Chapter 'sagas' is coming"):
        tutorial.run("sagas")


def test_cli_without_a_terminal_says_so_and_does_not_hang(isolated_state):
    proc = subprocess.run(
        [sys.executable, "-m", "restate_play", "tutorial"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        cwd=REPO,
    )
    assert proc.returncode == 2 and "needs a terminal" in proc.stderr and "--answers" in proc.stderr


def test_cli_unknown_chapter_list_and_reset(isolated_state):
    proc = cli("tutorial", "--chapter", "nope", "--answers", "1")
    assert proc.returncode == 2 and "Unknown chapter 'nope'" in proc.stderr and "durable-rpc" in proc.stderr
    proc = cli("tutorial", "--list", "--json", check=True)
    listed = json.loads(proc.stdout)
    assert [r["id"] for r in listed["chapters"]][:4] == FOUNDATION
    assert listed["progress_file"].startswith(str(isolated_state))
    Progress.load().record("sagas", 1, answer=4, correct=True, run_passed=True)
    listed = json.loads(cli("tutorial", "--list", "--json", check=True).stdout)
    assert next(r for r in listed["chapters"] if r["id"] == "sagas")["done"] == 1
    assert "◐ 1/2" in cli("tutorial", "--list", check=True).stdout
    assert "reset" in cli("tutorial", "--reset", check=True).stdout
    assert not Progress.load().path.exists()


def test_each_step_after_the_first_waits_for_enter_and_the_chapter_points_at_its_exercise(tmp_path):
    class Counting(ScriptedPrompter):
        pauses: list[str] = []

        def pause(self, next_step: str) -> None:
            self.pauses.append(next_step)

    buf = io.StringIO()
    prompter = Counting(["2", "1"])
    progress = Progress.load(tmp_path / "t.json")
    tutorial = Tutorial(load_chapters(), progress, prompter, Console(file=buf), FakeRun(), print)
    tutorial.play_chapter(load_chapters()[0])
    assert prompter.pauses == ["step 2: A flaky provider"]
    assert "Now write it yourself: `restate-play exercise charge-once`" in buf.getvalue()
