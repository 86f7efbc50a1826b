"""The learner's exercise progress: which passed, how many real attempts, how many hints shown.

Kept beside the tutorial's, in the same storage (`tutorial.progress.read_json` / `write_json`:
one small JSON file in the state directory, written atomically after every change).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from restate_play.paths import state_dir
from restate_play.tutorial.progress import read_json, write_json

VERSION = 1


def progress_file() -> Path:
    return state_dir() / "exercises.json"


@dataclass
class ExerciseProgress:
    path: Path
    exercises: dict[str, dict[str, Any]] = field(default_factory=dict)
    last: str | None = None  # the exercise worked on most recently: --hint and --solution default to it

    @classmethod
    def load(cls, path: Path | None = None) -> ExerciseProgress:
        path = path or progress_file()
        data = read_json(path)
        exercises = data.get("exercises")
        return cls(path, exercises if isinstance(exercises, dict) else {}, data.get("last"))

    def save(self) -> None:
        write_json(self.path, {"version": VERSION, "last": self.last, "exercises": self.exercises})

    def _entry(self, exercise_id: str) -> dict[str, Any]:
        return self.exercises.setdefault(exercise_id, {"attempts": 0, "hints": 0, "passed": False})

    # -- queries ---------------------------------------------------------------------------------
    def passed(self, exercise_id: str) -> bool:
        return bool(self.exercises.get(exercise_id, {}).get("passed"))

    def attempts(self, exercise_id: str) -> int:
        return int(self.exercises.get(exercise_id, {}).get("attempts", 0))

    def hints_shown(self, exercise_id: str) -> int:
        return int(self.exercises.get(exercise_id, {}).get("hints", 0))

    def mark(self, exercise_id: str) -> str:
        """✔ passed, ● tried, · not started."""
        if self.passed(exercise_id):
            return "✔"
        return "●" if self.attempts(exercise_id) or self.hints_shown(exercise_id) else "·"

    # -- updates ---------------------------------------------------------------------------------
    def start(self, exercise_id: str, file: Path) -> None:
        self._entry(exercise_id)["file"] = str(file)
        self.last = exercise_id
        self.save()

    def record_check(self, exercise_id: str, changed: bool, passed: bool) -> None:
        """A check ran: an attempt when the file differs from the starting file."""
        entry = self._entry(exercise_id)
        if changed:
            entry["attempts"] += 1
        if passed and changed:
            entry["passed"], entry["passed_at"] = True, time.strftime("%Y-%m-%dT%H:%M:%S%z")
        self.last = exercise_id
        self.save()

    def next_hint(self, exercise_id: str, available: int) -> int:
        """The hint level to show now (1…available); showing it is remembered."""
        entry = self._entry(exercise_id)
        entry["hints"] = min(entry["hints"] + 1, available)
        self.last = exercise_id
        self.save()
        return entry["hints"]

    def reset(self, exercise_id: str) -> bool:
        existed = self.exercises.pop(exercise_id, None) is not None
        self.save()
        return existed
