"""A check's verdict in the learner's terms: which claim failed, why, and the ledger and journal
lines that prove it (pure: records in, lines out)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from restate_play.exercises.catalog import Exercise
from restate_play.scenario.model import Scenario
from restate_play.scenario.result import RunResult

MAX_FAILURE = 240  # characters of an invocation's last failure


@dataclass
class Claim:
    title: str  # the check, as its step says it
    passed: bool
    detail: str


@dataclass
class Verdict:
    exercise: str
    file: str
    passed: bool
    changed: bool  # the file differs from the starting file: a real attempt
    seconds: float
    claims: list[Claim] = field(default_factory=list)
    proof: list[str] = field(default_factory=list)  # ledger, crash and journal lines
    error: str | None = None

    @property
    def failed(self) -> list[Claim]:
        return [c for c in self.claims if not c.passed]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "seconds": round(self.seconds, 2)}


def verdict_of(
    exercise: Exercise, scenario: Scenario, result: RunResult, file: Path, changed: bool, seconds: float
) -> Verdict:
    claims = [Claim(_title(scenario, c.step, c.description), c.passed, c.detail) for c in result.checks]
    return Verdict(
        exercise.id,
        str(file),
        result.passed,
        changed,
        seconds,
        claims,
        proof_lines(exercise, result),
        result.error,
    )


def _title(scenario: Scenario, number: int, fallback: str) -> str:
    """The step's `say`, else the nearest one before it (a check that continues the claim above)."""
    says = [s.say for s in scenario.steps if s.number <= number and s.say]
    own = next((s.say for s in scenario.steps if s.number == number), None)
    return own or (says[-1] if says else fallback)


def proof_lines(exercise: Exercise, result: RunResult) -> list[str]:
    crashes = sorted(
        [(c["at"], _crash_words(c)) for c in result.crashes]
        + [(e["at"], "the service died on its own") for e in result.service_exits]
    )
    ledger = [e for e in result.ledger if e["action"] in exercise.evidence]
    t0 = min([e["ts"] for e in result.ledger] + [at for at, _ in crashes], default=0.0)
    lines = [f"💥 +{at - t0:.2f}s {words}" for at, words in crashes]
    lines += [_ledger_line(e, t0, crashes) for e in ledger]
    lines += [_journal_line(inv) for inv in result.invocations[-4:]]
    return lines


def _crash_words(crash: dict) -> str:
    where = f" after '{crash['after_entry']}'" if crash.get("after_entry") else ""
    return f"the {crash['target']} was killed{where}"


def _ledger_line(entry: dict, t0: float, crashes: list[tuple[float, str]]) -> str:
    args = " ".join(f"{k}={v}" for k, v in entry["args"].items() if v not in (None, ""))
    after = sum(1 for at, _ in crashes if at <= entry["ts"])
    when = (" — after the crash" if after else " — before the crash") if crashes else ""
    if len(crashes) > 1 and after:
        when = f" — after crash {after}"
    return f"ledger #{entry['seq']} +{entry['ts'] - t0:.2f}s {entry['action']} {args}{when}"


def _journal_line(inv: dict) -> str:
    steps = [e.get("name") or e.get("type", "?") for e in inv.get("journal", []) if e.get("kind") == "Command"]
    line = f"journal {inv.get('target', '?')} [{inv.get('status', '?')}]: {' → '.join(steps) or '(empty)'}"
    failure = inv.get("last_failure")
    return f"{line}\n    last failure: {failure[:MAX_FAILURE]}" if failure else line
