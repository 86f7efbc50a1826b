"""`--record DIR`: what a run leaves behind to look at and to share.

    report.html  the timeline (model.py → html.py), one self-contained file
    run.svg      the final screen of the live view, as rich exports it
    run.cast     an asciicast v2 recording of the live view (any asciinema player plays it)
    run.json     the `--json` document, from which `restate-play report DIR` redraws the report

The cast is the bytes the live view wrote, each with its time: in a terminal a tee in front of the
console's file (what the person saw); with --plain or --json the live view is drawn off screen,
into the cast only. It ends with the final screen, the same frame run.svg shows.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console, RenderableType

CAST_WIDTH, CAST_HEIGHT = 100, 44  # off screen: the size of the README's picture
INVOCATION_LIMIT = 1000  # a recorded run keeps this many invocations (a plain run: 50)
FILES = ("report.html", "run.svg", "run.cast", "run.json")


class Cast:
    """asciicast v2: a header line, then `[seconds, "o", text]` per write."""

    def __init__(self, width: int, height: int, title: str = ""):
        self.width, self.height, self.title = width, height, title
        self.started = time.time()
        self.t0 = time.monotonic()
        self.events: list[tuple[float, str]] = []

    def add(self, text: str) -> None:
        if text:  # a tty turns \n into \r\n on the way out: a player expects what the terminal got
            self.events.append((time.monotonic() - self.t0, text.replace("\r\n", "\n").replace("\n", "\r\n")))

    def dumps(self) -> str:
        header = {
            "version": 2,
            "width": self.width,
            "height": self.height,
            "timestamp": int(self.started),
            "title": self.title,
            "env": {"TERM": "xterm-256color", "SHELL": "/bin/sh"},
        }
        lines = [json.dumps(header)]
        lines += [json.dumps([round(t, 6), "o", text], ensure_ascii=False) for t, text in self.events]
        return "\n".join(lines) + "\n"


class Tee(io.TextIOBase):
    """The console's file, with every write also added to the cast (while `on`)."""

    def __init__(self, inner: Any, cast: Cast):
        self.inner, self.cast, self.on = inner, cast, True

    def write(self, text: str) -> int:
        if self.on:
            self.cast.add(text)
        return self.inner.write(text) if self.inner is not None else len(text)

    def flush(self) -> None:
        if self.inner is not None:
            self.inner.flush()

    def isatty(self) -> bool:
        return True if self.inner is None else self.inner.isatty()

    def fileno(self) -> int:
        if self.inner is None:
            raise OSError("an off-screen cast has no file descriptor")
        return self.inner.fileno()


class Recorder:
    """Made before the run, given to `play`; `finish(doc)` writes the directory."""

    def __init__(self, directory: Path, title: str = ""):
        from restate_play.errors import PlayError

        try:  # before the scenario plays: a directory that cannot be made fails now, not after it
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise PlayError(f"Cannot record into {directory}: {err.strerror}.", "Pass --record a directory.") from None
        self.directory = directory
        self.title = title
        self.cast: Cast | None = None
        self.tee: Tee | None = None
        self.svg = ""
        self.frame: RenderableType | None = None
        self.invocation_limit = INVOCATION_LIMIT
        self._saving: threading.Thread | None = None
        self._failed: BaseException | None = None

    def save_meanwhile(self, doc: dict[str, Any], status: Callable[[str], None]) -> None:
        """`save` in a thread, e.g. while the sandbox stops (waiting for processes to exit): the
        recording then costs the run almost no time of its own. `wait()` joins it."""

        def saving() -> None:
            try:
                save(self, doc, status)
            except BaseException as err:  # raised again by wait(), in the command's thread
                self._failed = err

        self._saving = threading.Thread(target=saving, name="record", daemon=True)
        self._saving.start()

    def wait(self) -> None:
        if self._saving is not None:
            self._saving.join()
            self._saving = None
        if self._failed is not None:
            raise self._failed

    def watch(self, console: Console) -> Console:
        """Record what the live view writes to `console` (a terminal): the cast gets its bytes too."""
        self.cast = Cast(console.width, console.height, self.title)
        self.tee = Tee(console.file, self.cast)
        console.file = self.tee
        return console

    def off_screen(self) -> Console:
        """A console for a live view nobody sees (--plain, --json): it writes into the cast only."""
        self.cast = Cast(CAST_WIDTH, CAST_HEIGHT, self.title)
        self.tee = Tee(None, self.cast)
        return Console(
            file=self.tee, width=CAST_WIDTH, height=CAST_HEIGHT, force_terminal=True, color_system="truecolor"
        )

    def stop(self) -> None:
        """The live view is over: what is printed after it is not part of the cast."""
        if self.tee is not None:
            self.tee.on = False

    @property
    def size(self) -> tuple[int, int]:
        return (self.cast.width, self.cast.height) if self.cast else (CAST_WIDTH, CAST_HEIGHT)

    def final_screen(self, frame: RenderableType) -> None:
        """The last frame: it ends the cast and is what run.svg shows (drawn by `finish`, which can
        run while the sandbox stops)."""
        self.frame = frame
        if self.cast is None:
            self.cast = Cast(*self.size, self.title)

    def _draw_final(self, frame: RenderableType) -> None:
        width, height = self.size
        text = io.StringIO()
        screen = Console(
            file=text, record=True, width=width, height=height, force_terminal=True, color_system="truecolor"
        )
        screen.print(frame)
        self.cast.add("\x1b[H\x1b[2J" + text.getvalue().rstrip("\n"))
        self.svg = screen.export_svg(title=self.title or "restate-play")

    def finish(self, doc: dict[str, Any]) -> list[Path]:
        from restate_play.report import html, model

        if self.frame is not None:
            self._draw_final(self.frame)
            self.frame = None
        self.directory.mkdir(parents=True, exist_ok=True)
        paths = [self.directory / name for name in FILES]
        report_html, svg, cast, data = paths
        data.write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
        report_html.write_text(html.render(model.build(doc)), encoding="utf-8")
        svg.write_text(self.svg, encoding="utf-8")
        cast.write_text(self.cast.dumps() if self.cast else Cast(*self.size).dumps(), encoding="utf-8")
        return paths


def redraw(directory: Path) -> Path:
    """report.html drawn again from run.json (a newer playground draws a report it did not make)."""
    from restate_play.errors import PlayError
    from restate_play.report import html, model

    data = directory / "run.json"
    if not data.is_file():
        raise PlayError(
            f"{directory} holds no run.json: it is not a recording.",
            "Record one with `restate-play run <pattern> --record DIR`.",
        )
    try:
        doc = json.loads(data.read_text(encoding="utf-8"))
    except ValueError as err:
        raise PlayError(f"{data} is not JSON ({err}).") from None
    out = directory / "report.html"
    out.write_text(html.render(model.build(doc)), encoding="utf-8")
    return out


def live_console(recorder: Recorder | None, mode: str, out: Console) -> Console | None:
    """Where the live view draws: the terminal (recorded too, with --record), an off-screen console
    when only the recording sees it (--record with --plain or --json), or nowhere (None)."""
    if mode == "live":
        return recorder.watch(out) if recorder is not None else out
    return recorder.off_screen() if recorder is not None else None


def also_to(sink: Callable[[str], None], lines: list[str]) -> Callable[[str], None]:
    """The narration sink, also appending to the (off-screen) live view's lines."""

    def both(line: str) -> None:
        sink(line)
        lines.append(line)

    return both


def save(recorder: Recorder, doc: dict[str, Any], status: Callable[[str], None]) -> None:
    recorder.finish(doc)
    status(
        f"Recorded in {recorder.directory}: {', '.join(FILES)} · open it with "
        f"`restate-play report {recorder.directory}`"
    )
