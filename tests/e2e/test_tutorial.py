"""The guided tutorial end to end, against the real restate-server: two full chapters with
questionary answers fed through a pipe, Ctrl-C during a run, and a real terminal (tmux).
"""

from __future__ import annotations

import io
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, pid_gone, port_in_use
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from restate_play.commands.tutorial import make_tutorial
from restate_play.patterns.catalog import get_pattern
from restate_play.scenario.result import RunResult
from restate_play.tutorial.flow import serve_curls
from restate_play.tutorial.progress import progress_file, scripted_progress_file
from restate_play.tutorial.prompts import QuestionaryPrompter
from restate_play.waiting import eventually

pytestmark = pytest.mark.e2e

DOWN = "\x1b[B"
POSTS = [  # what the Kafka chapter's scenario (event-transactions) publishes, in order
    'userid1:{"content": "Hi! This is my first post!", "metadata": "public"}',
    'userid2:{"content": "Hi! This is my first post!", "metadata": "public"}',
    'userid1:{"content": "Hi! This is my second post!", "metadata": "public"}',
]


def sandbox_processes(marker: str) -> list[str]:
    """restate-server and service processes whose environment carries this test's private state dir."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes()
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker.encode() not in environ or not argv or not argv[0]:
            continue
        ours = (
            argv[0].endswith((b"restate-server", b"/tansu"))  # the server, and the Kafka chapter's broker
            or b"restate_play.sandbox.service_main" in argv
        )
        if ours and "State:\tZ" not in (proc / "status").read_text(errors="replace"):
            found.append(f"{proc.name}: {b' '.join(argv).decode(errors='replace')}")
    return found


def steps(progress: dict, chapter: str) -> dict[str, dict]:
    return progress["chapters"].get(chapter, {}).get("steps", {})


def test_two_chapters_through_a_pipe(restate_binary, isolated_state):
    buf = io.StringIO()
    out = Console(file=buf, width=140, no_color=True)
    t0 = time.monotonic()
    with create_pipe_input() as pipe:
        answers = [
            DOWN + DOWN + DOWN + "\r",  # durable-rpc 1: d) attached to the first invocation → right
            "\r",  # Press Enter for step 2 (the verdict stayed on screen)
            "\r",  # durable-rpc 2: a) a 503 at once → wrong, told why that belief is wrong
            "\r",  # Next: Virtual objects → Continue
            DOWN + DOWN + "\r",  # virtual-objects 1: c) one after the other per key → right
            "\r",  # Press Enter for step 2
            "\r",  # virtual-objects 2: a) resumes after 'Begin DOWN' → right
            DOWN + "\r",  # Next: Sagas → Stop here
        ]
        pipe.send_text("".join(answers))
        with create_app_session(input=pipe, output=DummyOutput()):
            outcome = make_tutorial(QuestionaryPrompter(), out, "plain").run("durable-rpc")
    took = time.monotonic() - t0
    text = buf.getvalue()
    assert outcome.steps_played == 4 and outcome.stopped_by == "learner", text[-3000:]
    saved = json.loads(progress_file().read_text())
    assert {n: s["correct"] for n, s in steps(saved, "durable-rpc").items()} == {"1": True, "2": False}
    assert {n: s["correct"] for n, s in steps(saved, "virtual-objects").items()} == {"1": True, "2": True}
    assert all(s["run_passed"] for c in ("durable-rpc", "virtual-objects") for s in steps(saved, c).values()), text
    # explain → code → predict → do → see → check, with the curl lines for `serve`
    for fragment in (
        "async def reserve(ctx: ObjectContext)",  # the real handler source
        "restate_play/patterns/stateful_actors.py",
        "💥 service killed (SIGKILL)",  # played on the real sandbox
        "Journals",
        "World ledger",
        "✔ Right!",
        "✘ Not quite.",
        "Why not: The ingress is not a proxy",
        "restate-play serve durable-rpc",
        "curl -X POST localhost:5000/reserve/product1/reservation1",
        "curl -X POST localhost:8080/machineOperator/a/setUp",
        "`restate-play tutorial` resumes at 'Durable steps and a crash', step 1",
    ):
        assert fragment in text, f"missing {fragment!r}"
    assert not sandbox_processes(str(isolated_state))
    print(f"two chapters through a pipe: {took:.1f} s")


def test_kafka_chapter_through_the_real_broker(restate_binary, isolated_state):
    """The Kafka chapter as a learner plays it: records published to a real broker (Tansu), each
    one delivered by Restate's subscription as an invocation, the checks passing, and then no
    broker, server or service process and no port left behind."""
    buf = io.StringIO()
    out = Console(file=buf, width=160, no_color=True)
    runs: list[RunResult] = []
    t0 = time.monotonic()
    with create_pipe_input() as pipe:
        pipe.send_text(DOWN + DOWN + "\r")  # kafka 1: c) A's later posts wait their turn; B goes ahead → right
        with create_app_session(input=pipe, output=DummyOutput()):
            tutorial = make_tutorial(QuestionaryPrompter(), out, "plain")
            play = tutorial.play

            def keep(*args) -> RunResult:  # the step's run, to check its records below
                runs.append(play(*args))
                return runs[-1]

            tutorial.play = keep
            outcome = tutorial.run("kafka")
    took = time.monotonic() - t0
    text = buf.getvalue()
    # The last chapter: played, and the tutorial says so (no "Next chapter?" question).
    assert outcome.steps_played == 1 and outcome.finished and not outcome.stopped_by, text[-3000:]
    saved = json.loads(progress_file().read_text())
    assert steps(saved, "kafka")["1"]["correct"] and steps(saved, "kafka")["1"]["run_passed"], text[-3000:]

    [result] = runs
    failed = [c for c in result.checks if not c.passed]
    assert result.pattern == "event-transactions" and result.passed and not failed, (failed, result.error)
    kafka = result.sandbox["components"]["kafka"]
    assert not kafka["external"] and kafka["topics_created"] == ["social-media-posts"]
    assert [(s["source"], s["sink"]) for s in kafka["subscriptions"]] == [
        ("kafka://my-cluster/social-media-posts", "service://userFeed/processPost")
    ]
    published = [r for r in result.requests if r["kind"] == "publish"]
    assert [(r["topic"], r["key"], r["offset"]) for r in published] == [
        ("social-media-posts", "userid1", 0),
        ("social-media-posts", "userid2", 1),
        ("social-media-posts", "userid1", 2),
    ]
    assert all(r["kind"] == "publish" for r in result.requests)  # nothing reached Restate but through Kafka
    # One invocation per record, each created by the subscription (not by an ingress call), none repeated.
    assert sorted((i["target"], i["invoked_by"]) for i in result.invocations) == [
        ("userFeed/userid1/processPost", "subscription"),
        ("userFeed/userid1/processPost", "subscription"),
        ("userFeed/userid2/processPost", "subscription"),
    ]
    for fragment in (
        "Chapter 9/9: Kafka event processing",
        "async def process_post(ctx: ObjectContext",  # the real handler source
        "Starting kafka…",
        "userid1 → social-media-posts partition 0 offset 0",
        "💥 service killed (SIGKILL)",
        "PASSED: 11/11 expectations held",
        "✔ Right!",
        "That was the last chapter available today",
        # Try it by hand: under serve the subscription is the learner's (the document's step 5), then the records.
        "restate-play serve event-transactions",
        "$ curl localhost:9070/subscriptions -H 'content-type: application/json'",
        "$ restate-play kafka publish social-media-posts "
        '\'userid2:{"content": "Hi! This is my first post!", "metadata": "public"}\'',
    ):
        assert fragment in text, f"missing {fragment!r}"
    # The subscription line is the document's, as `serve event-transactions` prints it (the panel wraps it).
    [subscribe] = [
        line for line in (REPO / "scenarios/event-transactions.curls").read_text().splitlines() if line[:4] == "curl"
    ]
    hints = serve_curls(result.requests, result.sandbox, get_pattern("event-transactions"))
    assert hints == [subscribe] + [f"restate-play kafka publish social-media-posts {shlex.quote(p)}" for p in POSTS]

    sb = result.sandbox
    assert pid_gone(sb["server"]["pid"]) and pid_gone(sb["service"]["pid"]) and pid_gone(kafka["pid"])
    ports = (sb["server"]["ingress"], sb["server"]["admin"], sb["server"]["fabric"], sb["service"]["port"])
    for port in (*ports, kafka["port"]):
        assert not port_in_use(port), f"port {port} still bound after the chapter"
    assert not sandbox_processes(str(isolated_state))
    print(f"kafka chapter through the real broker: {took:.1f} s")


def test_ctrl_c_during_a_run_keeps_progress_and_leaves_nothing(restate_binary, isolated_state, tmp_path):
    log = tmp_path / "out.txt"
    with open(log, "w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "restate_play", "tutorial", "--chapter", "durable-rpc", "--answers", "4,2"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=REPO,
            env={**os.environ, "COLUMNS": "140"},
            start_new_session=True,
        )
        try:

            def output() -> str:
                assert proc.poll() is None, log.read_text()
                return log.read_text()

            eventually(
                output,
                until=lambda text: "Kill the product service" in text,
                timeout=60,
                interval=0.05,
                what="the tutorial's step 2 run under way",
            )
            os.kill(proc.pid, signal.SIGINT)  # like Ctrl-C, in the middle of step 2's run
            code = proc.wait(30)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    text = log.read_text()
    assert code == 130, text[-2000:]
    assert "Tutorial interrupted: no process left behind" in text
    assert "resumes at 'Idempotency and durable RPC', step 2" in text
    saved = json.loads(scripted_progress_file().read_text())
    assert list(steps(saved, "durable-rpc")) == ["1"]
    assert not progress_file().exists()  # --answers never writes the learner's progress
    assert not sandbox_processes(str(isolated_state))


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=10).stdout


# Not `alone`: it waits up to 30-60 s for each screen, ample beside other tests, and an `alone` test
# holds the other workers idle while it waits for its turn and runs (~25 s of the suite's wall time).
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (./run-tests installs it with apt-get)")
def test_in_a_real_terminal_with_tmux(restate_binary, isolated_state):
    session = f"restate-play-tutorial-{os.getpid()}"
    command = (
        f"cd {REPO} && env XDG_STATE_HOME={isolated_state} {sys.executable} -m restate_play tutorial "
        "--chapter durable-rpc; echo TUTORIAL-EXIT=$?; sleep 120"
    )
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "150", "-y", "50", command], check=True)

    def pane() -> str:
        return _tmux("capture-pane", "-p", "-J", "-S", "-300", "-t", session)

    def wait_for(text: str, timeout: float = 60) -> str:
        return eventually(pane, until=lambda screen: text in screen, timeout=timeout, what=f"{text!r} on screen")

    try:
        wait_for("What does it answer?")
        _tmux("send-keys", "-t", session, "Down", "Down", "Down", "Enter")  # d) the first invocation's answer
        screen = wait_for("Press Enter for step 2")  # step 1 ran live; its verdict stays until Enter
        assert "✔ Right!" in screen and "restate-play serve durable-rpc" in screen
        assert "What does the caller get?" not in screen
        _tmux("send-keys", "-t", session, "Enter")
        wait_for("What does the caller get?")
        _tmux("send-keys", "-t", session, "Down", "Enter")  # b) it waits
        wait_for("Ctrl-C stops and cleans up")  # the live dashboard of step 2
        _tmux("send-keys", "-t", session, "C-c")
        screen = wait_for("TUTORIAL-EXIT=", timeout=30)
        assert "TUTORIAL-EXIT=130" in screen and "Tutorial interrupted" in screen, screen
        saved = json.loads(progress_file().read_text())
        assert list(steps(saved, "durable-rpc")) == ["1"] and steps(saved, "durable-rpc")["1"]["correct"]
        assert not sandbox_processes(str(isolated_state))
    finally:
        _tmux("kill-session", "-t", session)
