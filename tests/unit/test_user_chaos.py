"""Chaos traffic from a user's scenario, and the invariants every service keeps (no sandbox)."""

from __future__ import annotations

import random

import pytest

from restate_play.errors import PlayError
from restate_play.scenario.model import load
from restate_play.scenario.user_chaos import user_chaos
from restate_play.world.chaos_api import ChaosOutcome, Evidence

SCENARIO = """
[[step]]
call = "Cart/c{i}/add"
body_json = '{"item": "i{i}"}'
repeat = 3
expect = { status = 200 }

[[step]]
send = "Mailer/send"
body = { to = "ada" }

[[step]]
expect_state = { service = "Cart", key = "c1", values = { items = ["i1"] } }
"""


def chaos_of(tmp_path, text=SCENARIO):
    path = tmp_path / "s.toml"
    path.write_text(text)
    return user_chaos(load(path))


def test_the_requests_take_turns_and_number_themselves(tmp_path):
    chaos = chaos_of(tmp_path)
    reqs = [chaos.request(random.Random(1), n, keys=1, idempotent=True) for n in range(4)]
    assert [(r.target, r.body, r.idempotency_key) for r in reqs] == [
        ("Cart/c1/add", {"item": "i1"}, "chaos-0"),
        ("Mailer/send/send", {"to": "ada"}, "chaos-1"),  # a send goes to the ingress's /send
        ("Cart/c3/add", {"item": "i3"}, "chaos-2"),
        ("Mailer/send/send", {"to": "ada"}, "chaos-3"),
    ]
    assert chaos.request(random.Random(1), 0, keys=1, idempotent=False).idempotency_key is None


def test_a_scenario_without_requests_is_refused(tmp_path):
    with pytest.raises(PlayError, match="call and send steps as traffic"):
        chaos_of(tmp_path, '[[step]]\nsay = "nothing to send"\n')


def test_invariants_catch_wrong_statuses_and_split_keys(tmp_path):
    chaos = chaos_of(tmp_path)
    reqs = [chaos.request(random.Random(1), n, keys=1, idempotent=True) for n in range(3)]
    same_key = chaos.request(random.Random(1), 0, keys=1, idempotent=True)
    outcomes = [
        ChaosOutcome(reqs[0], 200, invocation="inv_a"),
        ChaosOutcome(reqs[1], 202, invocation="inv_b"),  # its step expects nothing: any status
        ChaosOutcome(reqs[2], 500, invocation="inv_c"),
        ChaosOutcome(same_key, 200, invocation="inv_z"),  # the same idempotency key, another invocation
    ]
    ev = Evidence(outcomes, [])
    wrong = chaos.invariants["answered-as-expected"].check(ev)
    assert not wrong.passed and wrong.anomalies == [
        "request #2 (Cart/c3/add, idempotency key chaos-2) → 500 from inv_c: its step 1 expects 200"
    ]
    split = chaos.invariants["one-invocation-per-idempotency-key"].check(ev)
    assert split.anomalies == ["idempotency key 'chaos-0': 2 invocations (inv_a, inv_z)"]
