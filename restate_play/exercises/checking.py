"""One check of the learner's file: its checks.toml played on a fresh sandbox, the same run path
as `restate-play run FILE --scenario checks.toml`, with the crashes optionally moved by a seed."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console

from restate_play.exercises.catalog import Exercise, Seeding
from restate_play.exercises.verdict import Verdict, verdict_of
from restate_play.patterns.catalog import Pattern
from restate_play.sandbox.target import PythonTarget
from restate_play.scenario.actions.control import Crash
from restate_play.scenario.model import Scenario, load


@dataclass(frozen=True)
class ExerciseTarget(PythonTarget):
    """The learner's file: like any Python target, but its world (restate_play.world.shop) always
    records to the ledger, so an empty ledger is a failed check, not "not observed"."""

    ledger_promised = True
    services: tuple[str, ...] = ()
    needs: frozenset[str] = frozenset()
    subscriptions: tuple[tuple[str, str], ...] = ()

    @property
    def pattern(self) -> Pattern:
        # Its services named up front: a shared restate-server forgets what their last check left.
        base = super().pattern
        return replace(base, services=self.services, needs=self.needs, subscriptions=self.subscriptions)


def target_for(exercise: Exercise, file: Path) -> ExerciseTarget:
    file = file.resolve()
    parts = {"needs": frozenset(exercise.needs), "subscriptions": exercise.subscriptions}
    return ExerciseTarget(str(file), file.parent, file=file, services=exercise.services, **parts)


def seeded(scenario: Scenario, seed: int | None, seeding: Seeding = Seeding()) -> Scenario:
    """The same checks with every crash moved by `seed` (None: as written), within `seeding`'s bounds:
    how long after its crash point (its journal entry, or its step's start) the kill lands, and how
    long the part stays down. Pure and deterministic: the same seed, the same crashes.

    The crash point itself stays as written: an `after_entry` must be a completed step (a `ctx.run`),
    and a sleep's entry completes only when its timer fires, too late to expose most mistakes."""
    if seed is None:
        return scenario
    rng = random.Random(seed)
    steps = [_moved(step, rng, seeding) if isinstance(step, Crash) else step for step in scenario.steps]
    return Scenario(**{**vars(scenario), "steps": steps})


def seeds_matter(exercise: Exercise) -> bool:
    """Whether a seed changes the exercise's checks at all (no crash step: every seed is the same run)."""
    scenario = load(exercise.checks)
    return seeded(scenario, 1, exercise.seeding).steps != scenario.steps


def _moved(crash: Crash, rng: random.Random, seeding: Seeding) -> Crash:
    update: dict = {"delay": round(rng.uniform(*seeding.delay), 3)}
    if crash.restart_after is not None:
        update["restart_after"] = round(rng.uniform(*seeding.downtime), 3)
    return crash.model_copy(update=update)


def is_changed(exercise: Exercise, file: Path) -> bool:
    """Whether the learner changed anything but whitespace in the starting file."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError:
        return False
    return text.split() != exercise.start.read_text(encoding="utf-8").split()


def check_file(
    exercise: Exercise, file: Path, seed: int | None = None, status=None, show: Callable[[Verdict], None] | None = None
) -> Verdict:
    """Play the exercise's checks against `file` on a fresh sandbox; the verdict in the learner's terms.

    `show` gets the verdict as soon as the checks are judged, before the sandbox stops (a server's
    graceful stop takes a second or two the learner need not wait for)."""
    from restate_play.commands.run import play, sandbox_options, usable_shared_server
    from restate_play.sandbox import registry
    from restate_play.sandbox.sandbox import Sandbox

    status = status or (lambda _m: None)
    scenario = seeded(load(exercise.checks), seed, exercise.seeding)
    target = target_for(exercise, file)
    options = sandbox_options(target.pattern, scenario, None, None)
    options.shared = usable_shared_server(target.pattern, scenario, None, status)  # `restate-play server start`
    quiet = Console(quiet=True)
    t0 = time.monotonic()
    with (
        Sandbox(target.pattern, options, status=status, target=target) as sandbox,
        registry.registered("run", sandbox.describe()),
    ):
        result = asyncio.run(play(sandbox, scenario, sandbox.pattern, "json", quiet))
        verdict = verdict_of(exercise, scenario, result, file, is_changed(exercise, file), time.monotonic() - t0)
        if show is not None:
            show(verdict)
    return verdict
