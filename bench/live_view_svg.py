"""The README's picture: one frame of a real run's live view, exported as an SVG by rich.

    python bench/live_view_svg.py [--pattern sagas] [--at 1.0] [--out docs/live-view.svg]

Plays the pattern's default scenario on a real sandbox through `run_pattern`, live mode, exactly as
`restate-play run` does, into a console that writes nowhere. Every frame the live view draws is
kept; the one at `--at` (0 = the first, 1.0 = the last, drawn after the last step) is drawn again
on a recording console of `--width` × `--height` and saved with `Console.save_svg`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console, RenderableType

from restate_play.commands import run


def record_frames(pattern: str, width: int, height: int) -> list[RenderableType]:
    """Run the pattern live and return every dashboard frame it drew, in order."""
    frames: list[RenderableType] = []
    draw = run.model_dashboard

    def kept(*args, **kwargs) -> RenderableType:
        frame = draw(*args, **kwargs)
        frames.append(frame)
        return frame

    # The live view looks its frame builder up on the module at every frame: wrapping it there
    # sees exactly what the terminal would, without a second copy of the live loop.
    run.model_dashboard = kept
    try:
        with open(os.devnull, "w") as devnull:
            screen = Console(file=devnull, width=width, height=height, force_terminal=True)
            result = run.run_pattern(pattern, None, "live", screen, lambda m: print(m, file=sys.stderr))
    finally:
        run.model_dashboard = draw
    if not result.passed:
        raise SystemExit(f"the {pattern} run did not pass: no picture of a failing run")
    return frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pattern", default="sagas")
    parser.add_argument("--at", type=float, default=1.0, help="which frame: 0 first … 1.0 last")
    parser.add_argument("--width", type=int, default=100)
    parser.add_argument("--height", type=int, default=44)
    parser.add_argument("--out", type=Path, default=Path("docs/live-view.svg"))
    args = parser.parse_args()
    frames = record_frames(args.pattern, args.width, args.height)
    frame = frames[min(len(frames) - 1, round(args.at * (len(frames) - 1)))]
    with open(os.devnull, "w") as devnull:
        picture = Console(file=devnull, record=True, width=args.width, height=args.height, force_terminal=True)
        picture.print(frame)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    picture.save_svg(str(args.out), title=f"restate-play run {args.pattern}")
    print(f"{args.out}: frame {frames.index(frame) + 1} of {len(frames)}, {args.width}×{args.height}")


if __name__ == "__main__":
    main()
