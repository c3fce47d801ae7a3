"""The ALB front: target group events (single- and multi-value) and ALB's strict answers."""

from __future__ import annotations

import base64
import json

import pytest

from lambdaserve.emulator.fronts.alb import LoadBalancer
from lambdaserve.emulator.fronts.events import IncomingRequest
from lambdaserve.runtime.events import SOURCE_ALB, parse_event
from tests.emulator.front_handlers.handlers import handler
from tests.emulator.front_handlers.inprocess import InProcessLambda
from tests.runtime.support import load_event


def _alb(multi_value: bool = False, lam: InProcessLambda | None = None):
    lines: list[str] = []
    lam = lam or InProcessLambda(handler)
    return LoadBalancer(lam, multi_value=multi_value, log=lines.append), lam, lines


def _post(body: object, path: str = "/predict", query: str = "", headers=()) -> IncomingRequest:
    return IncomingRequest("POST", path, query, [("Content-Type", "application/json"), *headers],
                           json.dumps(body).encode())


def test_single_value_event_matches_the_real_shape():
    alb, lam, _ = _alb()
    assert alb.handle(_post({}, query="q=a%20b&q=c")).status == 200
    event, real = lam.events[-1], load_event("alb.json")
    # for parity: the keys of `sam local generate-event alb request`.
    assert set(event) == set(real)
    assert set(event["requestContext"]["elb"]) == set(real["requestContext"]["elb"])
    # for parity: ALB passes query values still URL-encoded, the last one when repeated.
    assert event["queryStringParameters"] == {"q": "c"}
    assert parse_event(event, "/predict").source == SOURCE_ALB


def test_multi_value_event_matches_the_real_shape_and_keeps_every_value():
    alb, lam, _ = _alb(multi_value=True)
    alb.handle(_post({}, query="q=a%20b&q=c", headers=[("X-Dup", "1"), ("X-Dup", "2")]))
    event, real = lam.events[-1], load_event("alb-multi-value.json")
    # for parity: multi-value mode sends the lists and drops the single-value maps.
    assert set(event) == set(real)
    assert event["multiValueQueryStringParameters"] == {"q": ["a%20b", "c"]}
    assert event["multiValueHeaders"]["x-dup"] == ["1", "2"]
    assert event["multiValueHeaders"]["x-forwarded-for"] == ["127.0.0.1"]
    request = parse_event(event, "/predict")
    assert request.multi_value and request.query["q"] == ["a b", "c"]


def test_answer_with_status_description_and_base64_body():
    alb, _, _ = _alb()
    res = alb.handle(_post({"respond": {
        "statusCode": 201, "statusDescription": "201 Created", "headers": {"X-A": "1"},
        "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True}}))
    assert (res.status, res.header("x-a"), res.body) == (201, "1", b"\x00\x01")


def test_multi_value_mode_reads_multi_value_headers_only():
    # for parity: ALB takes the header map that matches the target group's setting.
    alb, _, _ = _alb(multi_value=True)
    res = alb.handle(_post({"respond": {
        "statusCode": 200, "headers": {"X-Single": "s"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}, "body": ""}}))
    assert [v for k, v in res.headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    assert res.header("x-single") is None
    alb, _, _ = _alb(multi_value=False)
    res = alb.handle(_post({"respond": {
        "statusCode": 200, "headers": {"X-Single": "s"}, "multiValueHeaders": {"X-M": ["m"]}, "body": ""}}))
    assert res.header("x-single") == "s" and res.header("x-m") is None


@pytest.mark.parametrize("answer, reason", [
    ({"message": "no statusCode"}, "statusCode is missing"),  # ALB infers nothing, unlike v2
    ("just a string", "must be a JSON object"),
    ({"statusCode": 200, "body": {"not": "a string"}}, "body must be a string"),
    ({"statusCode": 200, "statusDescription": 5}, "statusDescription must be a string"),
])
def test_malformed_answers_are_albs_502_page(answer, reason):
    alb, _, lines = _alb()
    res = alb.handle(_post({"respond": answer}))
    # for parity: ALB's own 502 page, not the function's body.
    assert res.status == 502 and res.header("server") == "awselb/2.0"
    assert b"<center><h1>502 Bad Gateway</h1></center>" in res.body
    assert reason in lines[-1]


def test_an_answer_over_1_mb_is_502():
    raw = json.dumps({"statusCode": 200, "body": "x" * (1024 * 1024)}).encode()
    alb, _, lines = _alb(lam=InProcessLambda(handler, raw=raw))
    assert alb.handle(_post({})).status == 502
    assert "over ALB's 1 MB limit" in lines[-1]


def test_function_error_is_502_and_a_big_request_413():
    alb, lam, lines = _alb()
    assert alb.handle(_post({"raise": "boom"})).status == 502
    assert "function error (Unhandled)" in lines[-1]
    before = len(lam.events)
    big = IncomingRequest("POST", "/predict", "", [("Content-Type", "text/plain")], b"x" * (1024 * 1024 + 1))
    res = alb.handle(big)
    assert res.status == 413 and len(lam.events) == before  # refused before the function
