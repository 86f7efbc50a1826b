"""The tutorial's chapters: loaded from chapters.toml, validated, with the handlers' real source.

Chapters are data. A chapter names a pattern from the catalog; when that pattern is not ported
yet, the chapter is "coming" and skipped. Handler code is read from the pattern module with
`inspect`, never copied into the tutorial.
"""

from __future__ import annotations

import importlib
import inspect
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from restate_play.errors import PlayError
from restate_play.paths import scenarios_dir
from restate_play.patterns.catalog import Pattern, get_pattern

CHAPTERS_FILE = Path(__file__).with_name("chapters.toml")


@dataclass(frozen=True)
class Step:
    number: int  # from 1, within its chapter
    title: str
    explain: str
    question: str
    choices: tuple[str, ...]
    answer: int  # index into choices, from 0
    scenario: str  # a name under scenarios/, without .toml
    explanation: str
    code: tuple[str, ...] = ()
    highlight: tuple[str, ...] = ()
    misconceptions: tuple[str, ...] = ()  # aligned with choices: why each wrong one is wrong; "" for the right

    @property
    def right_choice(self) -> str:
        return self.choices[self.answer]

    def misconception(self, chosen: int) -> str:
        """Why the belief behind a choice is wrong ("" for the right choice)."""
        return self.misconceptions[chosen] if chosen < len(self.misconceptions) else ""


@dataclass(frozen=True)
class Chapter:
    id: str
    title: str
    pattern_slug: str
    intro: str
    steps: tuple[Step, ...] = field(default_factory=tuple)

    @property
    def pattern(self) -> Pattern:
        return get_pattern(self.pattern_slug)

    @property
    def available(self) -> bool:
        """Playable: the pattern is ported and every scenario the chapter plays exists."""
        return self.pattern.available and all((scenarios_dir() / f"{s.scenario}.toml").exists() for s in self.steps)


@dataclass(frozen=True)
class Source:
    """A handler's real source, as shown in the tutorial."""

    ref: str
    path: str  # relative to the package's parent, e.g. restate_play/patterns/sagas.py
    start_line: int
    text: str


class ChapterError(PlayError):
    pass


def _fail(where: str, what: str) -> ChapterError:
    return ChapterError(f"{CHAPTERS_FILE.name}: {where}: {what}", f"Chapters file: {CHAPTERS_FILE}")


def _str(table: dict, key: str, where: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, f"field '{key}' must be a non-empty string")
    return value.strip()


def _strs(table: dict, key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _fail(where, f"field '{key}' must be a list of strings")
    return tuple(value)


def _step(raw: object, number: int, where: str) -> Step:
    if not isinstance(raw, dict):
        raise _fail(where, "each [[chapter.step]] must be a table")
    allowed = {
        "title",
        "explain",
        "code",
        "highlight",
        "question",
        "choices",
        "misconceptions",
        "answer",
        "scenario",
        "explanation",
    }
    unknown = set(raw) - allowed
    if unknown:
        raise _fail(where, f"unknown field(s) {', '.join(sorted(unknown))}; expected {', '.join(sorted(allowed))}")
    choices = _strs(raw, "choices", where)
    if len(choices) < 2:
        raise _fail(where, "a question needs at least two 'choices'")
    answer = raw.get("answer")
    if not isinstance(answer, int) or isinstance(answer, bool) or not 1 <= answer <= len(choices):
        raise _fail(where, f"'answer' must be the number of the right choice, 1 to {len(choices)}")
    misconceptions = _misconceptions(raw, len(choices), answer - 1, where)
    return Step(
        number=number,
        title=_str(raw, "title", where),
        explain=_str(raw, "explain", where),
        question=_str(raw, "question", where),
        choices=choices,
        answer=answer - 1,
        scenario=_str(raw, "scenario", where),
        explanation=_str(raw, "explanation", where),
        code=_strs(raw, "code", where),
        highlight=_strs(raw, "highlight", where),
        misconceptions=misconceptions,
    )


def _misconceptions(raw: dict, count: int, answer: int, where: str) -> tuple[str, ...]:
    """One line per choice, in the same order: a wrong choice says why it is wrong, the right one is ""."""
    value = raw.get("misconceptions")
    expected = f"a list of {count} strings aligned with 'choices' (\"\" for the right choice, answer {answer + 1})"
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(where, f"'misconceptions' must be {expected}")
    if len(value) != count:
        raise _fail(where, f"'misconceptions' has {len(value)} entries for {count} choices; expected {expected}")
    if value[answer].strip():  # first: a list shifted by one shows here, at the right choice
        raise _fail(where, f"'misconceptions' entry {answer + 1} is the right choice's: it must be \"\"")
    for i, text in enumerate(value):
        if i != answer and not text.strip():
            raise _fail(where, f"'misconceptions' entry {i + 1} is empty: say why choice {i + 1} is wrong")
    return tuple(v.strip() for v in value)


def parse(text: str) -> list[Chapter]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise _fail("not valid TOML", str(err)) from err
    raw_chapters = data.get("chapter")
    if not isinstance(raw_chapters, list) or not raw_chapters:
        raise _fail("top level", "at least one [[chapter]] table is needed")
    chapters: list[Chapter] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_chapters, start=1):
        where = f"chapter {i}"
        if not isinstance(raw, dict):
            raise _fail(where, "must be a table")
        chapter_id = _str(raw, "id", where)
        where = f"chapter '{chapter_id}'"
        if chapter_id in seen:
            raise _fail(where, "duplicate id")
        seen.add(chapter_id)
        slug = _str(raw, "pattern", where)
        get_pattern(slug)  # an unknown slug is an error in the data, said clearly
        steps_raw = raw.get("step")
        if not isinstance(steps_raw, list) or not steps_raw:
            raise _fail(where, "at least one [[chapter.step]] is needed")
        steps = tuple(_step(s, n, f"{where}, step {n}") for n, s in enumerate(steps_raw, start=1))
        chapters.append(Chapter(chapter_id, _str(raw, "title", where), slug, _str(raw, "intro", where, ""), steps))
    return chapters


def load_chapters(path: Path | None = None) -> list[Chapter]:
    return parse((path or CHAPTERS_FILE).read_text(encoding="utf-8"))


def find_chapter(chapters: list[Chapter], name: str) -> Chapter:
    """By chapter id, or by pattern slug (its first chapter). Unknown names list the chapters."""
    for chapter in chapters:
        if chapter.id == name:
            return chapter
    for chapter in chapters:
        if chapter.pattern_slug == name:
            return chapter
    listing = ", ".join(c.id if c.available else f"{c.id} (coming)" for c in chapters)
    raise PlayError(f"Unknown chapter '{name}'.", f"Chapters: {listing}. See `restate-play tutorial --list`.")


# -- the handlers' real source ---------------------------------------------------------------------
def _module_name(module: str) -> str:
    return module if "." in module else f"restate_play.patterns.{module}"


def _display_path(fn) -> str:
    path = Path(inspect.getsourcefile(inspect.unwrap(fn)) or "?")
    parts = path.parts
    return "/".join(parts[parts.index("restate_play") :]) if "restate_play" in parts else path.name


def source_of(ref: str) -> Source:
    """'sagas:run' → the source of restate_play.patterns.sagas.run (decorators included)."""
    module_name, _, attr = ref.partition(":")
    if not attr:
        raise ChapterError(f"Code reference '{ref}' must look like 'module:function'.")
    module = importlib.import_module(_module_name(module_name))
    fn = getattr(module, attr, None)
    if fn is None:
        raise ChapterError(f"Code reference '{ref}': {module.__name__} has no '{attr}'.")
    lines, start = inspect.getsourcelines(fn)
    return Source(ref, _display_path(fn), max(start, 1), "".join(lines))


def handler_sources(pattern: Pattern) -> list[Source]:
    """Every handler of the pattern's services, for steps that name no code."""
    module = importlib.import_module(pattern.module)
    out: list[Source] = []
    for service in getattr(module, "services", []):
        for name, handler in getattr(service, "handlers", {}).items():
            fn = getattr(handler, "fn", None)
            if fn is None:
                continue
            lines, start = inspect.getsourcelines(fn)
            out.append(Source(f"{service.name}/{name}", _display_path(fn), max(start, 1), "".join(lines)))
    return out


def step_sources(chapter: Chapter, step: Step) -> list[Source]:
    return [source_of(ref) for ref in step.code] if step.code else handler_sources(chapter.pattern)
