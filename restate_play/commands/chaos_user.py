"""`restate-play chaos TARGET` on the user's own code: the scenario's requests as traffic under seeded
SIGKILLs, then the invariants every service must keep (scenario/user_chaos.py)."""

from __future__ import annotations

from typing import Any

from restate_play.commands.chaos import TARGETS, chaos_in, chaos_report
from restate_play.commands.run import sandbox_options
from restate_play.commands.targets import DeploymentTarget, Target, scenario_file
from restate_play.errors import PlayError
from restate_play.sandbox.sandbox import Sandbox
from restate_play.scenario.chaos import ChaosPlan
from restate_play.scenario.model import load
from restate_play.scenario.user_chaos import user_chaos, user_spec


def run_user_chaos(
    target: Target,
    scenario: str | None,
    requests: int,
    concurrency: int,
    kills: int,
    seed: int,
    part: str,
    idempotent: bool,
    time_scale: float,
    note,
    status,
) -> dict[str, Any]:
    if requests < 1 or concurrency < 1 or kills < 0:
        raise PlayError("--requests and --concurrency must be ≥ 1, --kills ≥ 0.")
    targets = TARGETS.get(part)
    if targets is None:
        raise PlayError(f"Unknown --target '{part}'.", "Use service, server or both.")
    if isinstance(target, DeploymentTarget) and "service" in targets:
        raise PlayError(
            f"The service at {target.url} is yours (--deployment): chaos cannot kill it.",
            "Use --target server (restate-server is the sandbox's own), or let restate-play start it: --service-cmd.",
        )
    loaded = load(scenario_file(target, scenario))
    chaos, spec = user_chaos(loaded), user_spec(loaded)
    plan = ChaosPlan.make(
        chaos, keys=1, requests=requests, kills=kills, seed=seed, targets=targets, idempotent=idempotent
    )
    options = sandbox_options(target.pattern, loaded, time_scale, None)  # the scenario's faults and env apply
    with Sandbox(target.pattern, options, status=status, target=target) as sb:
        stats, results, repeats, sandbox = chaos_in(sb, chaos, spec, plan, concurrency, note)
    return chaos_report(target.name, spec.title, seed, idempotent, stats, results, repeats, sandbox)
