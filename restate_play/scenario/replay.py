"""After a crash: which journal steps were replayed, which ran anew, and what the world saw twice.

Pattern-agnostic, for handlers whose durable steps each perform one external action in order
(as the patterns' `ctx.run_typed` steps do): the first k actions of the crashed invocation belong
to the k steps whose results were journaled before the SIGKILL. Those must not happen again after
the restart (exactly once). An action that was under way when the crash hit, with no journaled
result, may legitimately run again: at-least-once, shown as such, never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from restate_play.scenario.result import Check

# Bookkeeping records of the world, not actions a step performs.
_NOT_ACTIONS = ("fault.injected",)


def _epoch(iso: str | None) -> float:
    if not iso:
        return 0.0
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


@dataclass
class ReplayReport:
    invocation_id: str
    crash_at: float
    target: str
    steps: list[dict[str, Any]] = field(default_factory=list)  # name, journaled_before_crash
    exactly_once: list[dict[str, Any]] = field(default_factory=list)  # action, runs
    at_least_once: list[dict[str, Any]] = field(default_factory=list)  # action, runs
    checks: list[Check] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "invocation_id": self.invocation_id,
            "crash_at": self.crash_at,
            "target": self.target,
            "steps": self.steps,
            "exactly_once": self.exactly_once,
            "at_least_once": self.at_least_once,
            "checks": [c.to_dict() for c in self.checks],
        }


def _is_action(action: str) -> bool:
    return action not in _NOT_ACTIONS and not action.endswith(".unavailable")


def analyse(result: dict[str, Any], step_number: int = 0, invocation_id: str | None = None) -> ReplayReport | None:
    """Build the report from a run result's dict (`RunResult.to_dict()`) with one crash.

    `invocation_id`: the invocation the crash hit, when known (else the one whose journal straddles it).
    """
    if not result.get("crashes"):
        return None
    crash = result["crashes"][0]
    invocations = result["invocations"]
    crashed_id = invocation_id or _crashed_id(result, crash)
    crashed = next((i for i in invocations if i["id"] == crashed_id), None)
    if crashed is None:
        return None
    at = crash["at"]
    report = ReplayReport(crashed["id"], at, crash["target"])
    results = {e["completion_id"]: e for e in crashed["journal"] if e["kind"] == "Notification"}
    journaled_before = 0
    for entry in crashed["journal"]:
        if entry["kind"] != "Command" or entry["type"] != "Run":
            continue
        outcome = results.get(entry["completion_id"])
        before = outcome is not None and _epoch(outcome.get("appended_at")) < at
        journaled_before += before
        report.steps.append({"name": entry["name"], "journaled_before_crash": before})
    actions = [e for e in result["ledger"] if e.get("invocation") == crashed["id"] and _is_action(e["action"])]

    def key(e: dict[str, Any]) -> tuple[str, str]:
        return e["action"], repr(sorted(e["args"].items()))

    runs: dict[tuple[str, str], int] = {}
    for e in actions:
        runs[key(e)] = runs.get(key(e), 0) + 1
    # The first k distinct actions belong to the k steps journaled before the crash.
    firsts = list(dict.fromkeys(key(e) for e in actions))
    by_key = {key(e): e for e in actions}
    for i, k in enumerate(firsts):
        entry = by_key[k]
        row = {"action": entry["action"], "args": entry["args"], "runs": runs[k]}
        if i < journaled_before:
            report.exactly_once.append(row)
            report.checks.append(
                Check(
                    step_number,
                    f"{entry['action']} (its step was journaled before the crash) ran exactly once",
                    runs[k] == 1,
                    f"ran {runs[k]}×",
                )
            )
        elif runs[k] > 1:
            report.at_least_once.append(row)
    return report


def _crashed_id(result: dict[str, Any], crash: dict[str, Any]) -> str | None:
    # The crash step names its invocation by label; the runner resolved it, and the journal whose
    # entries straddle the crash time is the one that was interrupted.
    for inv in result["invocations"]:
        times = [_epoch(e.get("appended_at")) for e in inv["journal"] if e.get("appended_at")]
        if times and min(times) < crash["at"] < max(times):
            return inv["id"]
    return None
