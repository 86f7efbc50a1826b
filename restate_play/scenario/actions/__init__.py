"""The scenario actions: one unit each, all registered in `REGISTRY` (see base.py)."""

from restate_play.scenario.actions import cluster, control, data, fixing, ledger, records, requests  # noqa: F401 (registers)
from restate_play.scenario.actions.base import REGISTRY, Action, Expectation, Verdict

__all__ = ["REGISTRY", "Action", "Expectation", "Verdict"]
