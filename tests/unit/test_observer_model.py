"""The observer's bookkeeping: what it follows, and which object keys' state it reads."""

from __future__ import annotations

from restate_play.restate.records import Invocation
from restate_play.scenario.observer import MAX_STATE, LiveModel, Observer


def inv(i: int, status: str = "running") -> Invocation:
    return Invocation(f"inv_{i}", f"product/p{i}/reserve", "product", "reserve", f"p{i}", status)


def test_running_invocations_are_followed_until_done_and_keys_stay_bounded(tmp_path):
    observer = Observer(None, ("product",), tmp_path / "ledger.jsonl", LiveModel())  # type: ignore[arg-type]
    observer._show([inv(1), inv(2, "completed")])
    assert list(observer._tracked) == ["inv_1"]  # a running one found by a sweep is followed…
    observer._show([inv(1, "completed")])
    assert observer._tracked == {}  # …until it is done
    observer._show([inv(i, "completed") for i in range(3, 3 + MAX_STATE + 5)])
    assert len(observer._keys) == MAX_STATE and ("product", f"p{2 + MAX_STATE + 5}") in observer._keys
