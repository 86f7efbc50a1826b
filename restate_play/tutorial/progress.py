"""The learner's progress, kept between runs in a small JSON file in the user's state directory.

Written atomically after every finished step, so Ctrl-C (or a crash) at any moment keeps what
was done, and the next `restate-play tutorial` resumes at the first unfinished step.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from restate_play.paths import state_dir

VERSION = 1


def progress_file() -> Path:
    return state_dir() / "tutorial.json"


def scripted_progress_file() -> Path:
    """Where `tutorial --answers` keeps its progress: a script never overwrites the learner's."""
    return state_dir() / "tutorial-answers.json"


def read_json(path: Path) -> dict[str, Any]:
    """A progress file's object; {} when there is none yet or it is unreadable (start fresh rather than fail)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Atomically (a rename): Ctrl-C or a crash at any moment leaves the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class Progress:
    path: Path
    chapters: dict[str, dict[str, Any]] = field(default_factory=dict)
    last: str | None = None  # the chapter played most recently

    @classmethod
    def load(cls, path: Path | None = None) -> Progress:
        path = path or progress_file()
        data = read_json(path)
        if not isinstance(data.get("chapters"), dict):
            return cls(path)
        return cls(path, data["chapters"], data.get("last"))

    def save(self) -> None:
        write_json(self.path, {"version": VERSION, "last": self.last, "chapters": self.chapters})

    def reset(self) -> bool:
        existed = self.path.exists()
        self.path.unlink(missing_ok=True)
        self.chapters, self.last = {}, None
        return existed

    # -- queries ---------------------------------------------------------------------------------
    def steps_done(self, chapter_id: str) -> set[int]:
        steps = self.chapters.get(chapter_id, {}).get("steps", {})
        return {int(n) for n in steps}

    def is_done(self, chapter_id: str, total_steps: int) -> bool:
        return self.steps_done(chapter_id) >= set(range(1, total_steps + 1))

    def next_step(self, chapter_id: str, total_steps: int) -> int | None:
        """The first unfinished step (from 1), or None when the chapter is done."""
        done = self.steps_done(chapter_id)
        return next((n for n in range(1, total_steps + 1) if n not in done), None)

    def correct(self, chapter_id: str) -> int:
        steps = self.chapters.get(chapter_id, {}).get("steps", {})
        return sum(1 for s in steps.values() if s.get("correct"))

    # -- updates ---------------------------------------------------------------------------------
    def start(self, chapter_id: str) -> None:
        self.last = chapter_id
        self.chapters.setdefault(chapter_id, {"steps": {}})
        self.save()

    def record(self, chapter_id: str, step: int, answer: int, correct: bool, run_passed: bool) -> None:
        chapter = self.chapters.setdefault(chapter_id, {"steps": {}})
        chapter["steps"][str(step)] = {
            "answer": answer,
            "correct": correct,
            "run_passed": run_passed,
            "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        self.last = chapter_id
        self.save()

    def restart_chapter(self, chapter_id: str) -> None:
        self.chapters[chapter_id] = {"steps": {}}
        self.save()
