"""call, send, parallel and their `expect`: validation, and verdicts on answers (no sandbox)."""

import json

import pytest
from scenario_helpers import rejected, step, steps

from restate_play.restate.ingress import IngressResponse


def answer(status: int, body: object, invocation_id: str | None = None) -> IngressResponse:
    text = body if isinstance(body, str) else json.dumps(body)
    return IngressResponse(status, text, {}, invocation_id, "curl …", 0.01)


@pytest.mark.parametrize(
    "text, fragments",
    [
        ('[[step]]\ncall = "not a target"\n', ["step 1 (call)", "'call'", "Object/key/handler"]),
        ('[[step]]\ncall = "S/h"\nfrobnicate = 1\n', ["'frobnicate'", "unknown field"]),
        ('[[step]]\ncall = "S/h"\nbody_jsn = "x"\n', ["'body_jsn'", "Did you mean 'body_json'?"]),
        ('[[step]]\nsend = "S/h"\ndelay = "10"\n', ["(send)", "'delay'", "unit"]),
        ('[[step]]\ncall = "S/h"\ndelay = "1s"\n', ["'delay'", "only on 'send'"]),
        ('[[step]]\ncall = "S/h"\nbody = 1\nbody_json = "1"\n', ["'body_json'", "not both"]),
        ('[[step]]\ncall = "S/h"\nrepeat = 0\n', ["'repeat'", "≥ 1"]),
        ('[[step]]\ncall = "S/h"\nrepeat = "31"\n', ["'repeat'", "integer"]),
        ('[[step]]\ncall = "S/h"\nrepeat = 3\nas = "x"\n', ["'repeat'", "no 'as'"]),
        ('[[step]]\ncall = "S/h"\ntimeout = 0\n', ["'timeout'", "> 0"]),
        ('[[step]]\ncall = "S/h"\nheaders = { a = 1 }\n', ["'headers.a'", "a string"]),
        ('[[step]]\ncall = "S/h"\ncapture = { job = "(" }\n', ["'capture'", "valid regex"]),
        ('[[step]]\ncall = "S/h"\ncapture = { "a b" = "x" }\n', ["'capture'", "variable names"]),
        ('[[step]]\ncall = "S/h"\nvia = "client"\n', ["'call'", "path on the client app"]),
        ('[[step]]\ncall = "S/h"\nexpect = { status = "200" }\n', ["'expect.status'", "an integer"]),
        ('[[step]]\ncall = "S/h"\nexpect = { stauts = 200 }\n', ["'expect.stauts'", "Did you mean 'status'?"]),
        (
            '[[step]]\nsend = "S/h"\nexpect = { invocation_status = "ok" }\n',
            ["'expect.invocation_status'", "'Accepted'"],
        ),
        ("[[step]]\nparallel = []\n", ["(parallel)", "at least 1 item"]),
        ('[[step]]\nparallel = [{ call = "S/h", repeat = 2 }]\n', ["'repeat'", "not inside 'parallel'"]),
        ('[[step]]\nparallel = ["S/h", { send = "S/h", delay = "1" }]\n', ["'delay' of parallel item 2", "unit"]),
        ('[[step]]\nparallel = ["S/h"]\nstagger = -1\n', ["'stagger'", "≥ 0"]),
        ('[[step]]\nparallel = ["S/h"]\nexpect_count = { body = 1 }\n', ["'expect_count.count'", "required"]),
    ],
)
def test_requests_reject_with_the_field(text, fragments):
    rejected(text, *fragments)


def test_values_are_parsed():
    send, attach = steps(
        '[[step]]\nsend = "Svc/h"\nbody = { a = 1 }\nidempotency_key = "k"\ndelay = "2s"\nas = "x"\n'
        'expect = { status = 202, invocation_status = "Accepted" }\n'
        '[[step]]\nattach = "x"\nexpect = { body = 3 }\n'
    )
    (req,) = send.requests
    assert (req.kind, req.target, req.body, req.delay, req.label) == ("send", "Svc/h", {"a": 1}, "2s", "x")
    assert req.has_body and req.expect.status == 202 and req.expect.invocation_status == "Accepted"
    assert attach.expect.body == 3 and attach.expect.has_body


def test_parallel_strings_are_calls_and_tables_keep_their_kind():
    (par,) = steps('[[step]]\nparallel = ["A/h", { send = "B/h", as = "b" }, { call = "C/k/h" }]\nstagger = 0.1\n')
    assert [(r.kind, r.target) for r in par.requests] == [("call", "A/h"), ("send", "B/h"), ("call", "C/k/h")]
    assert par.defines() == ["b"] and par.stagger == 0.1


def test_a_repeated_request_keeps_its_count_in_the_target():
    (req,) = step('[[step]]\ncall = "batcher/k{i}/receive"\nbody_json = "{i}"\nrepeat = 31\n').requests
    assert req.repeat == 31 and req.raw_body == "{i}" and req.request_templated() == "batcher/k/receive"


def test_expect_judges_status_body_and_text():
    expect = step('[[step]]\ncall = "S/h"\nexpect = { status = 200, body = { ok = true } }\n').expect
    assert expect.judge("call S/h", answer(200, {"ok": True})).ok
    verdict = expect.judge("call S/h", answer(500, "boom"))
    assert (
        not verdict.ok and "status 500, expected 200" in verdict.observed and verdict.expectation.startswith("call S/h")
    )
    contains = step('[[step]]\ncall = "S/h"\nexpect = { body_contains = "fully booked" }\n').expect
    assert contains.judge("x", answer(500, "This hotel is fully booked!")).ok
    assert not contains.judge("x", answer(200, "ok")).ok


def test_expect_same_invocation_compares_ids():
    _, again = steps(
        '[[step]]\nsend = "S/h"\nidempotency_key = "k"\nas = "first"\n'
        '[[step]]\nsend = "S/h"\nidempotency_key = "k"\nexpect = { same_invocation_as = "first" }\n'
    )
    expect = again.expect
    assert expect.judge("send", answer(200, {"status": "PreviouslyAccepted"}, "inv_1"), "inv_1").ok
    verdict = expect.judge("send", answer(200, {}, "inv_2"), "inv_1")
    assert not verdict.ok and "expected inv_1 ('first')" in verdict.observed


@pytest.mark.parametrize(
    "text, fragments",
    [
        (
            '[[step]]\nsend = "S/h"\nas = "f"\n[[step]]\nsend = "S/h"\nexpect = { same_invocation_as = "ghost" }\n',
            ["step 2", "ghost"],
        ),
        ('[[step]]\nsend = "S/h"\nas = "me"\nexpect = { same_invocation_as = "me" }\n', ["step 1", "earlier step"]),
        ('[[step]]\nsend = "S/h"\nexpect = { same_invocation_as = 3 }\n', ["'expect.same_invocation_as'", "a string"]),
        (
            '[[step]]\nsend = "S/h"\nas = "f"\n[[step]]\nattach = "f"\nexpect = { same_invocation_as = "nope" }\n',
            ["(attach)", "nope"],
        ),
    ],
)
def test_same_invocation_as_must_name_an_earlier_label(text, fragments):
    rejected(text, *fragments)


def test_parallel_expect_count():
    par = step('[[step]]\nparallel = ["S/h", "S/h", "S/h"]\nexpect_count = { body = true, count = 1 }\n')
    assert par.judge_count([True, False, False], ["true", "false", "false"]).ok
    verdict = par.judge_count([True, True, False], ["true", "true", "false"])
    assert not verdict.ok and verdict.expectation == "exactly 1 of 3 answers are true" and "2 were" in verdict.observed
    assert step('[[step]]\nparallel = ["S/h"]\n').judge_count([1], ["1"]) is None


def test_captured_values_fill_targets_and_must_come_first():
    create, cancel = steps(
        '[[step]]\ncall = "CronJobInitiator/create"\ncapture = { job = "ID ([\\\\w-]+)" }\n'
        '[[step]]\ncall = "CronJob/{job}/cancel"\n'
    )
    assert create.captures() == ["job"]
    assert cancel.filled(lambda t: t.replace("{job}", "j1")).requests[0].target == "CronJob/j1/cancel"
    rejected('[[step]]\ncall = "CronJob/{job}/getInfo"\n', "step 1", "'{job}'", "captured", "earlier step")
