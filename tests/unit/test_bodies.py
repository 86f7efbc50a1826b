"""Typed request bodies: a wrong shape is a 400 naming the field and the shape expected."""

from __future__ import annotations

import asyncio
import importlib
import json
import re
import shlex

import pytest
from restate import TerminalError

from restate_play.patterns.bodies import BadRequest, Body, JsonBody, bad_request_is_400
from restate_play.patterns.catalog import Pattern, available_patterns
from restate_play.patterns.cron import JobRequest
from restate_play.patterns.payment_signals import PaymentRequest
from restate_play.patterns.payment_state_machines import Payment
from restate_play.patterns.sagas import BookingRequest

DOC_TRIP = {
    "customerId": "12345",
    "flights": {"flightId": "12345", "passengerName": "John Doe"},
    "car": {"pickupLocation": "Airport", "rentalDate": "2024-12-16"},
    "hotel": {"arrivalDate": "2024-12-16", "departureDate": "2024-12-20"},
}


def _bad(type_, body: bytes) -> str:
    with pytest.raises(BadRequest) as raised:
        JsonBody(type_).deserialize(body)
    assert raised.value.status_code == 400
    return raised.value.message


def test_the_documents_request_is_read_with_python_names_and_written_back_in_camel_case():
    serde = JsonBody(BookingRequest)
    trip = serde.deserialize(json.dumps(DOC_TRIP).encode())
    assert trip.customer_id == "12345" and trip.flights.passenger_name == "John Doe"
    assert json.loads(serde.serialize(trip)) == DOC_TRIP
    # Python names work too (populate by name), e.g. when a handler builds a request itself.
    assert BookingRequest.model_validate({**DOC_TRIP, "customer_id": "1"}).customer_id == "12345"


def test_an_empty_body_names_every_missing_field_and_the_shape_expected():
    message = _bad(BookingRequest, b"")
    assert message.startswith("Bad request (empty body): customerId is missing; flights is missing;")
    assert '"flights": {"flightId": string, "passengerName": string}' in message


def test_a_nested_missing_field_is_named_by_its_path():
    trip = {**DOC_TRIP, "flights": {"flightId": "1"}}
    assert "flights.passengerName is missing" in _bad(BookingRequest, json.dumps(trip).encode())


def test_a_wrong_type_names_the_field_and_what_came():
    message = _bad(Payment, b'{"accountId": "abc", "amount": "lots"}')
    assert 'amount: input should be a valid integer, unable to parse string as an integer (got "lots")' in message
    assert message.endswith('Expected {"accountId": string, "amount": integer}')


def test_not_an_object_and_not_json():
    assert "the body: input should be an object (got [1])" in _bad(Payment, b"[1]")
    assert "the body: invalid json" in _bad(Payment, b"{oops")


def test_optional_fields_show_with_a_question_mark_and_take_their_defaults():
    assert '"delayedStatus"?: boolean' in _bad(PaymentRequest, b"{}")
    request = JsonBody(PaymentRequest).deserialize(b'{"paymentMethodId": "pm_card_visa", "amount": 109}')
    assert request.delayed_status is False


def test_a_body_passed_on_keeps_only_the_fields_that_were_sent():
    serde = JsonBody(JobRequest)
    sent = {"cronExpression": "* * * * *", "service": "TaskService", "method": "executeTask"}
    job = serde.deserialize(json.dumps(sent).encode())
    assert job.key is None and json.loads(serde.serialize(job)) == sent


def test_plain_types_are_checked_too():
    serde = JsonBody(int)
    assert serde.deserialize(b"12") == 12
    assert "input should be a valid integer" in _bad(int, b'"x"')
    assert _bad(int, b"").startswith("Bad request (empty body): the body: input should be a valid integer")
    assert JsonBody(str | None).deserialize(b"") is None


def test_many_errors_are_cut_short():
    class Wide(Body):
        a: int
        b: int
        c: int
        d: int
        e: int
        f: int
        g: int

    assert "g is missing" not in _bad(Wide, b"{}") and "and 2 more" in _bad(Wide, b"{}")


def _run_in(manager, error: BaseException) -> BaseException:
    async def go():
        async with manager():
            raise error

    with pytest.raises(BaseException) as raised:
        asyncio.run(go())
    return raised.value


def test_the_sdks_500_wrapper_of_a_bad_request_becomes_the_400():
    bad = BadRequest("Bad request: amount is missing")
    wrapped = TerminalError(f"Unable to parse an input argument. {bad}")  # what restate-sdk 1.3 raises
    wrapped.__cause__ = bad
    raised = _run_in(bad_request_is_400, wrapped)
    assert raised is bad and raised.status_code == 400


def test_other_errors_pass_through_unchanged():
    for error in (TerminalError("This hotel is fully booked!"), RuntimeError("transient")):
        assert _run_in(bad_request_is_400, error) is error


# --- every pattern: the documents' curl bodies fit the models, and a JsonBody is always a 400 ------

PATTERNS = available_patterns()


def _handlers(pattern: Pattern):
    module = importlib.import_module(pattern.module)
    for service in module.services:
        for handler in service.handlers.values():
            yield service, handler


def _curl_bodies(pattern: Pattern):
    """(service name, handler name, body) of every ingress call with a JSON body in the document's lines."""
    for line in pattern.curls:
        lexer = shlex.shlex(line.replace("\\\n", " "), posix=True, punctuation_chars=True)  # `;` `&` split
        lexer.whitespace_split = True
        words = list(lexer)
        for i, word in enumerate(words):
            if not re.match(r"(https?://)?localhost:8080/", word) or word.split("/", 2)[-1].startswith("restate/"):
                continue
            path = word.split("/", 1)[1].split("?")[0].removesuffix("/send").split("/")
            body = next((words[j + 1] for j in range(i, len(words) - 1) if words[j] in ("--json", "-d")), None)
            if body and not body.startswith("$"):
                yield path[0], path[-1], body


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.slug)
def test_the_documents_curl_bodies_fit_the_request_models(pattern):
    handlers = {(s.name, h.name): h for s, h in _handlers(pattern)}
    for service, name, body in _curl_bodies(pattern):
        serde = handlers[(service, name)].handler_io.input_serde
        if isinstance(serde, JsonBody):
            serde.deserialize(body.encode())  # raises BadRequest if the document's body does not fit


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.slug)
def test_a_handler_with_a_json_body_answers_400_not_the_sdks_500(pattern):
    for service, handler in _handlers(pattern):
        if isinstance(handler.handler_io.input_serde, JsonBody):
            assert bad_request_is_400 in (handler.context_managers or []), f"{service.name}/{handler.name}"
