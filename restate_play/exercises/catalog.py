"""The exercises, one folder each beside this module, in learning order.

A folder holds `exercise.toml` (id, title, topic, minutes, order, text, three hints, the
solution's reasoning, the ledger actions that prove a verdict), `start.py` (with a CHANGE THIS
comment), `solution.py` and `checks.toml` (a scenario: requests, crashes, faults, checks).
Adding an exercise is adding a folder; the folders ship inside the package.
"""

from __future__ import annotations

import difflib
import tomllib
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from restate_play.errors import PlayError

HERE = Path(__file__).resolve().parent
CHANGE_MARK = "CHANGE THIS"
Range = tuple[float, float]


class Seeding(BaseModel):
    """How a seed moves the crashes of an exercise's checks (`[seeding]` in exercise.toml).

    Every value in these bounds must still expose the starting file's mistake: a seed may move the
    crash, never past the moment the mistake shows (bench/exercises.py checks the start under seeds).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    downtime: Range = (0.05, 0.5)  # seconds a crashed part stays down (crash steps with restart_after)
    delay: Range = (0.0, 0.0)  # seconds the kill comes after its crash point (the entry, or the step's start)

    @model_validator(mode="after")
    def _ordered(self) -> Seeding:
        for name in ("downtime", "delay"):
            low, high = getattr(self, name)
            if not 0 <= low <= high:
                raise ValueError(f"seeding.{name}: [low, high] with 0 <= low <= high, got {[low, high]}")
        return self


class Exercise(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    topic: str
    minutes: int = Field(gt=0)
    order: int
    chapter: str | None = None  # the tutorial chapter whose end points at this exercise
    text: str
    hints: tuple[str, str, str]
    reasoning: str
    services: tuple[str, ...] = Field(min_length=1)  # the Restate services its files define
    evidence: tuple[str, ...] = ()  # ledger actions whose lines prove the verdict
    needs: tuple[Literal["kafka"], ...] = ()  # extra real parts its checks start (a Kafka broker)
    subscriptions: tuple[tuple[str, str], ...] = ()  # Kafka topic → "Service/handler", made before its checks
    seeding: Seeding = Seeding()
    folder: Path = Field(exclude=True)

    @property
    def start(self) -> Path:
        return self.folder / "start.py"

    @property
    def solution(self) -> Path:
        return self.folder / "solution.py"

    @property
    def checks(self) -> Path:
        return self.folder / "checks.toml"

    @property
    def file_name(self) -> str:
        """What the learner's copy of the starting file is called."""
        return f"{self.id.replace('-', '_')}.py"


def load_folder(folder: Path) -> Exercise:
    path = folder / "exercise.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        exercise = Exercise(**data, folder=folder)
    except (OSError, tomllib.TOMLDecodeError, ValidationError, TypeError) as err:
        raise PlayError(f"{path}: {err}") from None
    missing = [p.name for p in (exercise.start, exercise.solution, exercise.checks) if not p.is_file()]
    if missing:
        raise PlayError(f"{folder}: missing {', '.join(missing)}.")
    if CHANGE_MARK not in exercise.start.read_text(encoding="utf-8"):
        raise PlayError(f"{exercise.start}: no '{CHANGE_MARK}' comment marks what the learner changes.")
    return exercise


@cache
def load_exercises(root: Path = HERE) -> tuple[Exercise, ...]:
    folders = [p for p in root.iterdir() if (p / "exercise.toml").is_file()]
    return tuple(sorted((load_folder(f) for f in folders), key=lambda e: (e.order, e.id)))


def find_exercise(exercise_id: str, exercises: tuple[Exercise, ...] | None = None) -> Exercise:
    exercises = exercises or load_exercises()
    for exercise in exercises:
        if exercise.id == exercise_id:
            return exercise
    ids = [e.id for e in exercises]
    near = difflib.get_close_matches(exercise_id, ids, n=1)
    hint = f"Did you mean {near[0]}? " if near else ""
    raise PlayError(
        f"No exercise '{exercise_id}'.", f"{hint}`restate-play exercise --list` shows them: {', '.join(ids)}."
    )


def for_chapter(chapter_id: str) -> Exercise | None:
    """The exercise a tutorial chapter ends by pointing at (None: none yet)."""
    return next((e for e in load_exercises() if e.chapter == chapter_id), None)
