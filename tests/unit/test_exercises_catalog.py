"""The exercises as data: every folder loads, its checks are a valid scenario that can fail, and
the pure parts of checking (where a seed lands a crash, 'changed', verdict lines) behave."""

from __future__ import annotations

from pathlib import Path

import pytest

from restate_play.errors import PlayError
from restate_play.exercises.catalog import CHANGE_MARK, find_exercise, load_exercises, load_folder
from restate_play.exercises.checking import is_changed, seeded, seeds_matter
from restate_play.exercises.verdict import proof_lines, verdict_of
from restate_play.scenario.actions.control import Crash
from restate_play.scenario.model import Scenario, load
from restate_play.scenario.result import Check, RunResult

EXERCISES = load_exercises()
CHECK_ACTIONS = {"expect_ledger", "expect_state", "expect_journal", "expect_invocation", "expect_invocations"}


def test_at_least_ten_in_learning_order_with_unique_ids():
    ids = [e.id for e in EXERCISES]
    assert len(ids) >= 10 and len(set(ids)) == len(ids)
    assert ids[0] == "charge-once"
    assert [e.order for e in EXERCISES] == sorted(e.order for e in EXERCISES)


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_each_folder_is_complete(exercise):
    assert len(exercise.hints) == 3 and all(h.strip() for h in exercise.hints)
    assert exercise.reasoning.strip() and exercise.text.strip() and exercise.minutes > 0
    start, solution = exercise.start.read_text(), exercise.solution.read_text()
    assert CHANGE_MARK in start and CHANGE_MARK not in solution
    assert start.split() != solution.split()
    scenario = load(exercise.checks)  # a valid scenario in the existing format
    assert any(s.action in CHECK_ACTIONS for s in scenario.steps), "checks that check something"
    assert all(f'"{name}"' in start + solution for name in exercise.services)
    assert exercise.file_name.endswith(".py") and "-" not in exercise.file_name


def test_a_folder_without_the_change_mark_or_a_file_is_refused(tmp_path):
    folder = tmp_path / "broken"
    source = EXERCISES[0].folder
    folder.mkdir()
    for name in ("exercise.toml", "checks.toml", "solution.py"):
        (folder / name).write_text((source / name).read_text())
    with pytest.raises(PlayError, match="missing start.py"):
        load_folder(folder)
    (folder / "start.py").write_text("import restate\n")
    with pytest.raises(PlayError, match=CHANGE_MARK):
        load_folder(folder)


def test_unknown_id_names_the_nearest():
    with pytest.raises(PlayError) as err:
        find_exercise("charge-onse")
    assert "charge-once" in (err.value.hint or "")


SEEDS = range(1, 6)


def _crashes(scenario) -> list[tuple]:
    """Each crash's moment: its step, the delay after its crash point, its downtime."""
    return [(s.number, s.delay, s.restart_after) for s in scenario.steps if isinstance(s, Crash)]


CRASHING = [e for e in EXERCISES if _crashes(load(e.checks))]


def test_a_seed_moves_the_crash_reproducibly_and_within_its_bounds():
    exercise = find_exercise("charge-once")
    scenario, seeding = load(exercise.checks), exercise.seeding
    plans = [_crashes(seeded(scenario, s, seeding)) for s in SEEDS]
    assert plans == [_crashes(seeded(scenario, s, seeding)) for s in SEEDS]  # same seed, same crash
    assert len({p[0][1] for p in plans}) == len(plans)  # five seeds, five moments after 'Send confirmation'
    assert len({p[0][2] for p in plans}) == len(plans)  # and five downtimes
    for (_, delay, down), *_ in plans:
        assert seeding.delay[0] <= delay <= seeding.delay[1]
        assert seeding.downtime[0] <= down <= seeding.downtime[1]
    moved = seeded(scenario, 3, seeding)
    assert [s.number for s in moved.steps] == [s.number for s in scenario.steps]
    assert [s.after_entry for s in moved.steps if isinstance(s, Crash)] == ["Send confirmation"]
    assert seeded(scenario, None, seeding) is scenario


@pytest.mark.parametrize("exercise", CRASHING, ids=lambda e: e.id)
def test_every_crashing_exercise_declares_how_far_its_seeds_move_the_crash(exercise):
    scenario = load(exercise.checks)
    assert exercise.seeding.delay[1] > 0, "a seed moves the kill, not only its downtime"
    assert seeds_matter(exercise)
    assert len({tuple(_crashes(seeded(scenario, s, exercise.seeding))) for s in SEEDS}) == len(SEEDS)


def test_every_exercise_crashes_and_checks_without_a_crash_are_the_same_under_every_seed():
    # The issue: every solution is checked under seeded crashes, so every exercise's checks crash something.
    assert [e.id for e in CRASHING] == [e.id for e in EXERCISES]
    scenario = load(EXERCISES[0].checks)
    calm = Scenario(**{**vars(scenario), "steps": [s for s in scenario.steps if not isinstance(s, Crash)]})
    assert all(seeded(calm, s, EXERCISES[0].seeding).steps == calm.steps for s in SEEDS)


def test_seeding_bounds_are_ordered():
    from pydantic import ValidationError

    from restate_play.exercises.catalog import Seeding

    with pytest.raises(ValidationError, match=r"seeding.delay"):
        Seeding(delay=(0.5, 0.1))
    with pytest.raises(ValidationError, match=r"seeding.downtime"):
        Seeding(downtime=(-1.0, 0.1))


def test_the_kafka_exercise_gets_a_broker_and_its_subscription():
    from restate_play.exercises.checking import target_for

    exercise = find_exercise("kafka-order")
    pattern = target_for(exercise, exercise.start).pattern
    assert pattern.needs == frozenset({"kafka"}) and pattern.subscriptions == (("account-events", "Accounts/apply"),)
    assert pattern.services == ("Accounts",)
    plain = target_for(EXERCISES[0], EXERCISES[0].start).pattern
    assert not plain.needs and not plain.subscriptions


def test_whitespace_is_not_a_change(tmp_path):
    exercise = EXERCISES[0]
    copy = tmp_path / exercise.file_name
    copy.write_text(exercise.start.read_text() + "\n\n   \n")
    assert not is_changed(exercise, copy)
    copy.write_text(exercise.start.read_text().replace("amount = 42", "amount = 43"))
    assert is_changed(exercise, copy)
    assert not is_changed(exercise, tmp_path / "missing.py")


def _result() -> RunResult:
    result = RunResult("charge_once", "checks", "t")
    result.checks = [Check(4, "world ledger: card.charged …", False, "2×"), Check(5, "ledger", True, "1×")]
    result.crashes = [{"target": "service", "at": 100.5, "after_entry": "Send confirmation"}]
    result.ledger = [
        {"seq": 1, "ts": 100.0, "action": "card.charged", "args": {"order": "o-1", "key": None}, "invocation": None},
        {"seq": 2, "ts": 100.1, "action": "fault.injected", "args": {}, "invocation": None},
        {"seq": 3, "ts": 102.0, "action": "card.charged", "args": {"order": "o-1"}, "invocation": None},
    ]
    journal = [{"kind": "Command", "type": "Input", "name": ""}, {"kind": "Command", "type": "Run", "name": "Ship"}]
    result.invocations = [{"target": "Checkout/pay", "status": "backing-off", "journal": journal, "last_failure": "x"}]
    return result


def test_proof_lines_put_each_side_effect_before_or_after_the_crash():
    lines = proof_lines(find_exercise("charge-once"), _result())
    assert lines[0] == "💥 +0.50s the service was killed after 'Send confirmation'"
    assert lines[1] == "ledger #1 +0.00s card.charged order=o-1 — before the crash"
    assert lines[2] == "ledger #3 +2.00s card.charged order=o-1 — after the crash"
    assert not any("fault.injected" in line for line in lines)  # not among charge-once's evidence
    assert lines[3] == "journal Checkout/pay [backing-off]: Input → Ship\n    last failure: x"


def test_a_check_is_named_by_its_step_or_the_claim_it_continues():
    exercise = find_exercise("charge-once")
    scenario = load(exercise.checks)
    verdict = verdict_of(exercise, scenario, _result(), Path("charge_once.py"), True, 1.0)
    titles = ["The card was charged exactly once", "The order was shipped exactly once"]
    assert [c.title for c in verdict.claims] == titles
    assert not verdict.passed and [c.detail for c in verdict.failed] == ["2×"]


def test_tutorial_chapters_point_at_existing_exercises():
    from restate_play.exercises.catalog import for_chapter
    from restate_play.tutorial.chapters import load_chapters

    chapter_ids = {c.id for c in load_chapters()}
    pointed = [e for e in EXERCISES if e.chapter]
    assert len(pointed) >= 7 and all(e.chapter in chapter_ids for e in pointed)
    assert for_chapter("durable-steps").id == "charge-once" and for_chapter("no-such-chapter") is None
