"""`--record DIR`: `run sagas` and the crash-demo recorded once each, their report.html opened in a
real headless Chromium (Debian's, which ./run-tests installs), their casts replayed in a terminal
emulator; `invocations timeline` against a running serve.

Screenshots of the reports are kept in test-artifacts/ (ignored by git).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cast_replay import replay
from conftest import REPO, cli

# One worker plays both recordings once (the module's fixture), under `--dist loadgroup` too.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("record")]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# No network, no first-run work: the report must open from disk on its own.
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
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, restate_binary) -> dict[str, tuple[Path, str]]:
    """Each recording's directory and the command's output (one sandbox run each)."""
    base = tmp_path_factory.mktemp("record")
    env = {"XDG_STATE_HOME": str(base / "state")}
    runs = {}
    for name, args in {"sagas": ["run", "sagas"], "crash": ["crash-demo", "sagas"]}.items():
        proc = cli(*args, "--record", str(base / name), "--plain", env=env)
        assert proc.returncode == 0, f"{args} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}"
        runs[name] = (base / name, proc.stdout)
    return runs


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("no chromium: ./run-tests installs Debian's with apt-get, which did not work here")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_report(browser, directory: Path, shot: str):
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: errors.append(f"requested {r.url}") if not r.url.startswith("file:") else None)
    page.goto((directory / "report.html").as_uri(), wait_until="load")
    assert not errors, errors
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    return page


def test_sagas_report_has_a_lane_per_invocation_the_crash_and_the_ledger(recorded, browser):
    directory, _ = recorded["sagas"]
    doc = json.loads((directory / "run.json").read_text())
    page = open_report(browser, directory, "report-sagas.png")
    assert page.locator(".lane").count() == len(doc["invocations"]) == 2
    assert page.locator(".lane.failed").count() == 1  # the fully booked trip compensated
    assert page.locator(".crash-line").count() == len(doc["crashes"]) == 1
    assert page.locator(".restart-line").count() == 1
    assert page.locator(".ledger-mark").count() == len(doc["ledger"])
    assert page.locator(".ledger-mark.repeat").count() == 0  # no step ran twice
    assert page.locator("#verdict").inner_text().startswith(f"PASSED: {len(doc['expectations'])}/")
    # Clicking a bar shows its details: the journal entry, its payload.
    page.locator('.span[data-name="Book car"]').first.click()
    details = page.locator("#details").inner_text()
    assert "Run Book car" in details and "car-booking-" in details


def test_the_crash_line_crosses_the_lane_where_the_crash_hit(recorded, browser):
    directory, output = recorded["crash"]
    doc = json.loads((directory / "run.json").read_text())
    assert doc["replay"]["steps"] and doc["crashes"][0]["after_entry"] == "Book car"
    page = open_report(browser, directory, "report-crash-demo.png")
    assert page.locator(".lane").count() == 1
    assert page.locator(".ledger-mark").count() == len(doc["ledger"]) == 3  # each booking once
    crash_x = page.locator(".crash-line").bounding_box()["x"]
    car = page.locator('.span[data-name="Book car"]').bounding_box()
    hotel = page.locator('.span[data-name="Book hotel"]').bounding_box()
    assert car["x"] <= crash_x <= hotel["x"] + hotel["width"], (car, crash_x, hotel)
    assert page.locator(".retry").count() >= 1  # Restate's attempts while the service was down
    # The terminal report ends with the timeline of the crashed invocation.
    tail = output[output.rindex("Timeline") :]
    assert "Book hotel" in tail and "💥 service killed (SIGKILL) after 'Book car'" in tail


def test_the_cast_replays_to_the_final_screen(recorded):
    directory, _ = recorded["sagas"]
    cast = (directory / "run.cast").read_text()
    assert json.loads(cast.splitlines()[0])["version"] == 2
    screen = "\n".join(replay(cast))
    doc = json.loads((directory / "run.json").read_text())
    svg = (directory / "run.svg").read_text()
    assert screen.startswith("restate-play · Sagas")
    for inv in doc["invocations"]:  # the final screen's journals, in the cast and in the picture
        assert inv["id"] in screen and inv["id"] in svg
    assert doc["expectations"][-1]["description"][:25] in screen  # the last check, as the run ended


def test_report_prints_the_paths(recorded):
    directory, _ = recorded["sagas"]
    assert cli("report", str(directory), check=True).stdout.strip() == str((directory / "report.html").resolve())
    assert cli("report", str(directory), "--svg", check=True).stdout.strip().endswith("run.svg")
    missing = cli("report", str(directory / "nowhere"))
    assert missing.returncode == 2 and "--record" in missing.stderr


def test_invocations_timeline_against_a_running_serve(serve):
    served = serve("sagas")
    served.curl(
        next(line for line in (REPO / "scenarios" / "sagas.curls").read_text().splitlines() if line[:4] == "curl")
    )
    admin = f"http://127.0.0.1:{served.admin}"
    (inv,) = json.loads(cli("invocations", "list", "--json", "--admin-url", admin, check=True).stdout)
    out = cli("invocations", "timeline", inv["id"][:12], "--admin-url", admin, check=True).stdout
    lines = out.splitlines()
    assert lines[0].startswith(inv["id"]) and "failed" in lines[0]
    for step in ("Book flight", "Book car", "Book hotel", "Cancel flight"):
        assert any(line.startswith(step) and ("█" in line or "▏" in line) for line in lines), step
