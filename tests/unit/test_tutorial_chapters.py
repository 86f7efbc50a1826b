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
from restate_play.exercises.catalog import load_exercises
from restate_play.paths import scenarios_dir
from restate_play.patterns.catalog import get_pattern
from restate_play.scenario.model import load
from restate_play.scenario.result import Check, RunResult
from restate_play.tutorial.chapters import ChapterError, find_chapter, load_chapters, parse, step_sources
from restate_play.tutorial.flow import Tutorial, chapter_rows, exercise_pointer, next_position, serve_curls
from restate_play.tutorial.progress import Progress, progress_file, scripted_progress_file
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

WHY = 'misconceptions = ["", "b is a myth"]\n'


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (WHY + "answer = 3", "'answer' must be the number of the right choice, 1 to 2"),
        (WHY + 'answer = 1\nbogus = "x"', "unknown field(s) bogus"),
        ("answer = 1", "'misconceptions' must be a list of 2 strings aligned with 'choices'"),
        ('misconceptions = ["", "b is a myth", "c?"]\nanswer = 1', "'misconceptions' has 3 entries for 2 choices"),
        ('misconceptions = ["b is a myth"]\nanswer = 1', "'misconceptions' has 1 entries for 2 choices"),
        ('misconceptions = ["", " "]\nanswer = 1', "entry 2 is empty: say why choice 2 is wrong"),
        (WHY + "answer = 2", 'entry 2 is the right choice\'s: it must be ""'),
        ('misconceptions = "b is a myth"\nanswer = 1', "'misconceptions' must be a list"),
    ],
)
def test_malformed_chapters_say_where(extra, fragment):
    with pytest.raises(ChapterError) as err:
        parse(BASE + extra + "\n")
    assert "chapter 'x', step 1" in err.value.message and fragment in err.value.message


def test_misconceptions_align_with_choices():
    (chapter,) = parse(BASE.replace('pattern = "sagas"', 'pattern = "sagas"\nintro = "i"') + WHY + "answer = 1\n")
    step = chapter.steps[0]
    assert step.misconception(0) == "" and step.misconception(1) == "b is a myth"


def test_a_chapter_of_an_unknown_pattern_is_an_error():
    with pytest.raises(PlayError, match="Unknown pattern 'nope'"):
        parse(BASE.replace('pattern = "sagas"', 'pattern = "nope"') + WHY + "answer = 1\n")


def all_steps():
    return [(c.id, s) for c in load_chapters() for s in c.steps]


@pytest.mark.parametrize("chapter_id, step", all_steps(), ids=lambda v: v if isinstance(v, str) else str(v.number))
def test_every_wrong_choice_is_a_misconception_with_its_reason(chapter_id, step):
    """A learner who guesses must score about the chance level: at least three wrong choices, each a
    belief with a reason it is wrong, and no absolute word that gives a wrong one away."""
    wrong = [i for i in range(len(step.choices)) if i != step.answer]
    assert len(wrong) >= 3, (chapter_id, step.number)
    assert all(len(step.misconception(i)) >= 30 for i in wrong), (chapter_id, step.number)
    assert step.misconception(step.answer) == ""
    for choice in step.choices:
        words = set(choice.lower().replace(":", " ").replace(",", " ").split())
        assert not words & {"always", "never", "lost", "forever"}, (chapter_id, step.number, choice)
    # similar in length: nothing stands out at a glance
    lengths = [len(c) for c in step.choices]
    assert max(lengths) <= 1.4 * min(lengths), (chapter_id, step.number, lengths)


def test_the_right_answer_does_not_stand_out_by_position_or_length():
    steps = [s for _, s in all_steps()]
    positions = [s.answer for s in steps]
    assert len(set(positions)) >= 3, positions  # not always b)
    assert max(positions.count(p) for p in set(positions)) <= len(steps) / 2, positions
    longest = sum(len(s.right_choice) >= max(len(c) for c in s.choices) for s in steps)
    shortest = sum(len(s.right_choice) <= min(len(c) for c in s.choices) for s in steps)
    assert longest <= len(steps) / 2 and shortest <= len(steps) / 2, (longest, shortest)


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
        # durable-steps: right (c), Enter, wrong (b); continue; durable-rpc step 1: right (d); then Ctrl-C.
        pipe.send_text(DOWN + DOWN + "\r" + "\r" + DOWN + "\r" + "\r" + DOWN + DOWN + DOWN + "\r" + "\x03")
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
    # the wrong pick (b) is told why that belief is wrong, before the explanation, once
    why = find_chapter(load_chapters(), "durable-steps").steps[1].misconception(1)
    assert text.count("Why not:") == 1 and " ".join(why.split()[:6]) in " ".join(text.split())
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
    Progress.load(scripted_progress_file()).record("sagas", 1, answer=2, correct=True, run_passed=True)
    reset = cli("tutorial", "--reset", check=True).stdout
    assert "reset" in reset and "tutorial-answers.json" in reset  # --reset starts over, --answers' file too
    assert not progress_file().exists() and not scripted_progress_file().exists()
    assert "No tutorial progress to reset." in cli("tutorial", "--reset", check=True).stdout


def test_each_verdict_stays_on_screen_until_enter_and_the_chapter_points_at_its_exercise(tmp_path):
    buf = io.StringIO()

    class Pausing(ScriptedPrompter):
        screens: list[str] = []  # what was printed when each pause began

        def pause(self, next_step: str) -> None:
            self.screens.append(buf.getvalue())

    prompter = Pausing(["2", "1"])
    progress = Progress.load(tmp_path / "t.json")
    chapter = load_chapters()[0]
    tutorial = Tutorial(load_chapters(), progress, prompter, Console(file=buf, width=200), FakeRun(), print)
    tutorial.play_chapter(chapter)
    [screen] = prompter.screens  # one pause: between step 1 and step 2, none before step 1
    step2 = chapter.steps[1]
    # step 1's check and its curl lines are the last thing on screen; step 2 has not begun
    assert "Check: your prediction" in screen and "Try it by hand" in screen
    first_words = step2.explain.split(".")[0]  # "Providers fail"
    assert step2.title not in screen and first_words not in screen
    assert step2.title in buf.getvalue() and first_words in buf.getvalue()
    assert "Now write it yourself: `restate-play exercise charge-once`" in buf.getvalue()


@pytest.mark.parametrize("chapter", [c for c in load_chapters() if c.available], ids=lambda c: c.id)
def test_every_chapter_ends_pointing_at_an_exercise(chapter):
    exercise_ids = {e.id for e in load_exercises()}
    line = exercise_pointer(chapter.id)
    named = line.split("`restate-play exercise ")[1].split("`")[0]
    assert named in exercise_ids, line
    own = [e.id for e in load_exercises() if e.chapter == chapter.id]
    assert (named == own[0]) if own else line.startswith("No exercise for this chapter yet"), line


def test_answers_play_from_their_own_file_and_leave_the_learners_alone(monkeypatch, isolated_state, capsys):
    from restate_play.commands import tutorial as command

    learner = Progress.load()
    learner.record("durable-steps", 1, answer=1, correct=False, run_passed=True)
    before = progress_file().read_bytes()
    fake = FakeRun()

    def make(prompter, out, mode, status=None, progress=None):  # the command's own, with a fake run
        return Tutorial(load_chapters(), progress or Progress.load(), prompter, out, fake, lambda r, o: None)

    monkeypatch.setattr(command, "make_tutorial", make)
    command.run_tutorial("durable-steps", "3,1")  # both right; then no answer is left for "Next chapter?"
    said = " ".join(capsys.readouterr().out.split())  # the console wraps at 80 columns
    assert "`restate-play tutorial --answers …` resumes at 'Idempotency and durable RPC', step 1" in said
    assert len(fake.played) == 2 and progress_file().read_bytes() == before
    scripted = Progress.load(scripted_progress_file())
    assert scripted.steps_done("durable-steps") == {1, 2} and scripted.correct("durable-steps") == 2
