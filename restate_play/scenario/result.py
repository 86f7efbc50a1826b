"""What a scenario run produced: expectations with verdicts, requests, and the final picture."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Check:
    step: int
    description: str
    passed: bool
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "description": self.description, "passed": self.passed, "detail": self.detail}


@dataclass
class RunResult:
    pattern: str
    scenario: str
    title: str
    checks: list[Check] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    invocations: list[dict[str, Any]] = field(default_factory=list)
    state: list[dict[str, Any]] = field(default_factory=list)
    ledger: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    sandbox: dict[str, Any] = field(default_factory=dict)  # ports and pids, so callers can verify cleanup
    crashes: list[dict[str, Any]] = field(default_factory=list)  # {"target", "at", "of", "restarted_at"}
    storm: dict[str, Any] | None = None  # `run --requests`: counts, errors, req/s, latency percentiles
    error: str | None = None
    # The service process died on its own (a crash the pattern simulates) and the playground
    # restarted it: {"target": "service", "at"}; scenario-driven kills are in `crashes`.
    service_exits: list[dict[str, Any]] = field(default_factory=list)
    story: list[str] = field(default_factory=list)  # "what just happened", in plain words

    @property
    def passed(self) -> bool:
        return self.error is None and bool(self.checks) and all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "scenario": self.scenario,
            "title": self.title,
            "passed": self.passed,
            "error": self.error,
            "expectations": [c.to_dict() for c in self.checks],
            "requests": self.requests,
            "invocations": self.invocations,
            "state": self.state,
            "ledger": self.ledger,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "sandbox": self.sandbox,
            "crashes": self.crashes,
            "storm": self.storm,
            "service_exits": self.service_exits,
            "story": self.story,
        }
