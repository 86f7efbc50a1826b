"""The README's pictures, from a real run recorded with `--record`: the live view's final screen
(run.svg, rich's export) and a screenshot of the run's report (report.html in headless Chromium).

    python bench/live_view_svg.py [--pattern sagas] [--svg docs/live-view.svg] [--png docs/report.png]

Runs `restate-play run <pattern> --record DIR --plain` from this checkout (the live view is then
drawn off screen at 100×44, the size of the README's picture), copies run.svg, and screenshots
report.html with Debian's chromium (`apt-get install chromium`) driven by playwright.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def record(pattern: str, directory: Path, *extra: str) -> None:
    """`restate-play run <pattern> --record DIR` of this checkout; stops here when the run fails."""
    args = [sys.executable, "-m", "restate_play", "run", pattern, "--record", str(directory), "--plain", *extra]
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise SystemExit(
            f"the {pattern} run did not pass (exit {proc.returncode}): no picture of a failing run\n"
            f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
        )


def screenshot(report: Path, png: Path, width: int = 1600) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(report.as_uri(), wait_until="load")
            page.locator('.span[data-name="Book car"]').last.click()  # a bar's details in the side panel
            page.screenshot(path=str(png), full_page=True)
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pattern", default="sagas")
    parser.add_argument("--svg", type=Path, default=REPO / "docs" / "live-view.svg")
    parser.add_argument("--png", type=Path, default=REPO / "docs" / "report.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rec"
        record(args.pattern, out)
        args.svg.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out / "run.svg", args.svg)
        screenshot(out / "report.html", args.png)
    print(f"{args.svg}: the final screen of `run {args.pattern} --record`; {args.png}: its report.html")


if __name__ == "__main__":
    main()
