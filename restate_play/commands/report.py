"""`restate-play report DIR`: the report of a run recorded with `--record`."""

from __future__ import annotations

from pathlib import Path

from restate_play.commands.common import print_json
from restate_play.errors import PlayError
from restate_play.report.record import FILES, redraw


def recording_dir(given: Path) -> Path:
    directory = given.parent if given.name == "run.json" else given
    if not directory.is_dir():
        raise PlayError(f"No directory {given}.", "Record a run with `restate-play run sagas --record DIR`.")
    return directory


def show_report(given: Path, svg: bool, open_it: bool, as_json: bool) -> None:
    directory = recording_dir(given)
    html = redraw(directory)  # from run.json: a report drawn by this version of the playground
    picture = directory / "run.svg"
    if svg and not picture.is_file():
        raise PlayError(f"{directory} has no run.svg.", "It is written by `--record` with the run.")
    shown = picture if svg else html
    if as_json:
        print_json({name.split(".")[-1]: str((directory / name).resolve()) for name in FILES})
    else:
        print(shown.resolve())
    if open_it:
        import webbrowser

        if not webbrowser.open(shown.resolve().as_uri()):
            raise PlayError("No browser to open it with.", f"Open {shown.resolve().as_uri()} yourself.")
