"""The tutorial loop: explain → look at the code → predict → do → see → check, chapter after chapter.

The "do" part is the playground's own run machinery, handed in by the command layer (`play`:
a scenario on a fresh sandbox, live or as lines; `show`: the journals, state, ledger and verdict).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console
from rich.text import Text

from restate_play.errors import PlayError
from restate_play.exercises.catalog import for_chapter
from restate_play.patterns.catalog import Pattern
from restate_play.sandbox.ports import retarget
from restate_play.scenario.result import RunResult
from restate_play.tutorial.chapters import Chapter, Step, find_chapter, step_sources
from restate_play.tutorial.progress import Progress
from restate_play.tutorial.prompts import OutOfAnswers, Prompter
from restate_play.views.tutorial import (
    ChapterRow,
    code_panel,
    curl_hints,
    markdown,
    step_heading,
    verdict,
)

# play(pattern_slug, scenario, mode, out, status) → RunResult;  show(result, out)
PlayFn = Callable[..., RunResult]
ShowFn = Callable[[RunResult, Console], None]

SERVE_PORTS = {"ingress": 8080, "admin": 9070}
MAX_CURLS = 6


@dataclass
class Outcome:
    steps_played: int = 0
    finished: bool = False  # every available chapter is done
    stopped_by: str = ""  # "", "learner", "answers"


def serve_curls(requests: list[dict], sandbox: dict, pattern: Pattern) -> list[str]:
    """The run's requests as curl lines for `restate-play serve` (the documents' ports).

    Kafka records become `restate-play kafka publish` lines, after the subscription's curl line:
    `serve` leaves the subscription to the learner, as the document's step 5.
    """
    mapping: dict[int, int] = {}
    server = sandbox.get("server", {})
    for name, port in SERVE_PORTS.items():
        if server.get(name):
            mapping[server[name]] = port
    clients = sandbox.get("service", {}).get("client_ports", [])
    mapping.update({got: doc for got, doc in zip(clients, pattern.client_ports, strict=False)})
    out: list[str] = []
    if any(req.get("kind") == "publish" for req in requests):
        from restate_play.sandbox.kafka import SUBSCRIPTION_OPTIONS  # loaded anyway by the run that published

        admin = SERVE_PORTS["admin"]
        for sub in sandbox.get("components", {}).get("kafka", {}).get("subscriptions", []):
            body = json.dumps({"source": sub["source"], "sink": sub["sink"], "options": SUBSCRIPTION_OPTIONS})
            out.append(f"curl localhost:{admin}/subscriptions -H 'content-type: application/json' -d '{body}'")
    for req in requests:
        if req.get("kind") == "publish":
            record = f"{req['key']}:{req['value']}"  # the console producer's key:json
            out.append(f"restate-play kafka publish {req['topic']} {shlex.quote(record)}")
            continue
        curl = req.get("curl")
        if not curl or req.get("kind") not in ("call", "send"):
            continue
        curl = retarget(curl, mapping)
        if curl not in out:
            out.append(curl)
    return out[:MAX_CURLS]


def chapter_rows(chapters: list[Chapter], progress: Progress) -> list[ChapterRow]:
    upcoming = next_position(chapters, progress)
    return [
        ChapterRow(
            number=i,
            id=c.id,
            title=c.title,
            pattern=c.pattern_slug,
            steps=len(c.steps),
            done=len(progress.steps_done(c.id) & set(range(1, len(c.steps) + 1))),
            correct=progress.correct(c.id),
            available=c.available,
            is_next=upcoming is not None and upcoming[0].id == c.id,
        )
        for i, c in enumerate(chapters, start=1)
    ]


def next_position(chapters: list[Chapter], progress: Progress) -> tuple[Chapter, int] | None:
    """Where `restate-play tutorial` picks up: the last chapter if unfinished, else the first unfinished."""
    playable = [c for c in chapters if c.available]
    last = next((c for c in playable if c.id == progress.last), None)
    if last is not None:
        step = progress.next_step(last.id, len(last.steps))
        if step is not None:
            return last, step
    for chapter in playable:
        step = progress.next_step(chapter.id, len(chapter.steps))
        if step is not None:
            return chapter, step
    return None


def explanation_for(step: Step, chosen: int) -> str:
    """The step's explanation, led by why the learner's belief is wrong when they picked a wrong choice."""
    why = step.misconception(chosen)
    return f"**Why not:** {why}\n\n{step.explanation}" if why else step.explanation


def exercise_pointer(chapter_id: str) -> str:
    """The line a chapter ends with: its exercise (exercise.toml's `chapter`), or else the next open one."""
    exercise = for_chapter(chapter_id)
    if exercise is not None:
        return f"Now write it yourself: `restate-play exercise {exercise.id}` ({exercise.title})."
    from restate_play.exercises.catalog import load_exercises
    from restate_play.exercises.flow import next_exercise
    from restate_play.exercises.progress import ExerciseProgress

    upcoming = next_exercise(load_exercises(), ExerciseProgress.load())
    if upcoming is None:
        return "No exercise for this chapter yet, and you passed all the others: `restate-play exercise --list`."
    return (
        f"No exercise for this chapter yet. Write durable code yourself: your next exercise is "
        f"`restate-play exercise {upcoming.id}` ({upcoming.title}); `restate-play exercise --list` shows them all."
    )


class Tutorial:
    def __init__(
        self,
        chapters: list[Chapter],
        progress: Progress,
        prompter: Prompter,
        out: Console,
        play: PlayFn,
        show: ShowFn,
        mode: str = "plain",
        status: Callable[[str], None] | None = None,
    ):
        self.chapters = chapters
        self.progress = progress
        self.prompter = prompter
        self.out = out
        self.play = play
        self.show = show
        self.mode = mode
        self.status = status or (lambda m: out.print(Text(m, style="dim")))
        # what picks this progress up again: `--answers` keeps a file of its own (see progress.py)
        self.resume_command = "restate-play tutorial"

    # -- the whole tutorial ----------------------------------------------------------------------
    def run(self, chapter_name: str | None = None) -> Outcome:
        outcome = Outcome()
        if chapter_name:
            chapter = find_chapter(self.chapters, chapter_name)
            if not chapter.available:
                raise PlayError(
                    f"Chapter '{chapter.id}' is coming: its pattern '{chapter.pattern_slug}' is not ported yet.",
                    "Playable now: " + ", ".join(c.id for c in self.chapters if c.available) + ".",
                )
            step = self.progress.next_step(chapter.id, len(chapter.steps))
            if step is None:  # done before: play it again from the start
                self.progress.restart_chapter(chapter.id)
                step = 1
            position: tuple[Chapter, int] | None = (chapter, step)
        else:
            position = next_position(self.chapters, self.progress)
            if position is None:
                self.out.print(
                    Text(
                        "Every available chapter is done ✔. Replay one with --chapter <id>, "
                        "or start over with --reset.",
                        style="green",
                    )
                )
                outcome.finished = True
                return outcome
            if position[1] > 1:
                self.out.print(Text(f"Resuming '{position[0].title}' at step {position[1]}.", style="cyan"))
        try:
            while position is not None:
                chapter, step = position
                outcome.steps_played += self.play_chapter(chapter, step)
                upcoming = self._after(chapter)
                if upcoming is None:
                    outcome.finished = True
                    self.out.print(
                        Text(
                            "🎉 That was the last chapter available today. `restate-play list` shows the patterns; "
                            "`restate-play run <pattern>` plays their full scenarios.",
                            style="bold green",
                        )
                    )
                    break
                if not self.prompter.go_on(upcoming[0].title):
                    outcome.stopped_by = "learner"
                    self.out.print(Text(self.resume_hint(), style="cyan"))
                    break
                position = upcoming
        except OutOfAnswers:
            outcome.stopped_by = "answers"
            self.out.print(Text(f"No more --answers: stopping here. {self.resume_hint()}", style="cyan"))
        return outcome

    def _after(self, chapter: Chapter) -> tuple[Chapter, int] | None:
        """The next chapter in order that is available and unfinished; coming ones are announced."""
        index = next(i for i, c in enumerate(self.chapters) if c.id == chapter.id)
        for candidate in self.chapters[index + 1 :]:
            if not candidate.available:
                self.out.print(
                    Text(
                        f"Skipping '{candidate.title}': coming when the {candidate.pattern_slug} pattern is ported.",
                        style="dim",
                    )
                )
                continue
            step = self.progress.next_step(candidate.id, len(candidate.steps))
            if step is not None:
                return candidate, step
        return None

    def resume_hint(self) -> str:
        position = next_position(self.chapters, self.progress)
        if position is None:
            return "Progress kept: every available chapter is done."
        chapter, step = position
        return f"Progress kept. `{self.resume_command}` resumes at '{chapter.title}', step {step}."

    # -- one chapter, one step -------------------------------------------------------------------
    def play_chapter(self, chapter: Chapter, from_step: int = 1) -> int:
        self.progress.start(chapter.id)
        number = next(i for i, c in enumerate(self.chapters, start=1) if c.id == chapter.id)
        self.out.rule(Text(f"Chapter {number}/{len(self.chapters)}: {chapter.title}", style="bold"))
        if chapter.intro:
            self.out.print(markdown(chapter.intro))
        played = 0
        for step in chapter.steps[from_step - 1 :]:
            if played:  # the previous step's verdict stays on screen until Enter
                self.prompter.pause(f"step {step.number}: {step.title}")
            self.play_step(chapter, number, step)
            played += 1
        self.out.print(
            Text(
                f"Chapter '{chapter.title}' done: {self.progress.correct(chapter.id)}/{len(chapter.steps)} "
                "predictions right.",
                style="bold green",
            )
        )
        # from predicting to writing it: every chapter ends pointing at an exercise
        self.out.print(Text(exercise_pointer(chapter.id), style="bold cyan"), soft_wrap=True)
        return played

    def play_step(self, chapter: Chapter, chapter_no: int, step: Step) -> RunResult:
        out = self.out
        out.print()
        out.rule(
            step_heading(chapter_no, len(self.chapters), chapter.title, step.number, len(chapter.steps), step.title)
        )
        # 1. explain
        out.print(markdown(step.explain))
        # 2. look at the code: the handler's real source, read from the pattern module
        for source in step_sources(chapter, step):
            out.print(code_panel(f"{source.path} · {source.ref}", source.start_line, source.text, step.highlight))
        # 3. predict
        chosen = self.prompter.choose(step.question, list(step.choices))
        # 4. do, 5. see: a real sandbox plays the scenario, live; then journals, state, ledger
        out.print(Text("▶ Let's see, on a real restate-server…", style="bold"))
        result = self.play(chapter.pattern_slug, step.scenario, self.mode, out, self.status)
        self.show(result, out)
        # 6. check: the prediction against what was seen, and the curl lines to repeat it by hand
        correct = chosen == step.answer
        out.print(verdict(step.choices[chosen], step.right_choice, correct, explanation_for(step, chosen)))
        out.print(
            curl_hints(
                chapter.pattern_slug,
                serve_curls(result.requests, result.sandbox, chapter.pattern),
                "(the crashes and injected faults of this step are the playground's, not part of serve)",
            ),
            soft_wrap=True,  # long commands stay one line each, for copying
        )
        self.progress.record(chapter.id, step.number, chosen + 1, correct, result.passed)
        return result
