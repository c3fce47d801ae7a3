"""Parity of the events we build with the real shapes from `sam local generate-event` (tests/events)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from lambdaserve.emulator.fronts.events import (
    IncomingRequest,
    alb_event,
    function_url_event,
    http_event,
    rest_event,
)

EVENTS = Path(__file__).resolve().parents[1] / "events"
# Maps whose keys are data (header names, parameters), not part of the shape.
_DATA_MAPS = {"headers", "multiValueHeaders", "queryStringParameters", "multiValueQueryStringParameters",
              "pathParameters", "stageVariables", "claims"}


def _shape(event: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in event.items():
        out[prefix + key] = type(value).__name__
        if isinstance(value, dict) and key not in _DATA_MAPS:
            out.update(_shape(value, f"{prefix}{key}."))
    return out


def _request(**kw: Any) -> IncomingRequest:
    base: dict[str, Any] = dict(
        method="POST", path="/path/to/resource", query="foo=bar",
        headers=[("Host", "1234567890.execute-api.us-east-1.amazonaws.com"), ("User-Agent", "agent"),
                 ("Content-Type", "application/json"), ("Cookie", "cookie1=a; cookie2=b")],
        body=b'{"test":"body"}', source_ip="192.168.0.1")
    base.update(kw)
    return IncomingRequest(**base)


def _sample(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def test_rest_event_has_every_field_of_the_real_shape():
    sample = _sample("apigw-rest-proxy.json")
    ours = rest_event(_request(), resource="/{proxy+}", stage="prod",
                      path_parameters={"proxy": "path/to/resource"}, stage_variables={"baz": "qux"})
    real, built = _shape(sample), _shape(ours)
    # for parity: every key and JSON type of sam's aws-proxy event, nothing renamed
    assert {k: real[k] for k in real} == {k: built[k] for k in real}
    # AWS also sends these (documented); sam's sample predates them
    assert set(built) - set(real) == {"requestContext.domainName", "requestContext.domainPrefix",
                                      "requestContext.extendedRequestId", "requestContext.authorizer",
                                      "requestContext.identity.principalOrgId",
                                      "requestContext.identity.clientCert"}


def test_rest_event_absent_parts_are_null():
    ours = rest_event(_request(query="", body=b""), resource="/predict", stage="prod")
    # for parity: payload 1.0 sends null (not {}) for absent query, path parameters, stage variables, body
    assert ours["queryStringParameters"] is None and ours["multiValueQueryStringParameters"] is None
    assert ours["pathParameters"] is None and ours["stageVariables"] is None and ours["body"] is None


def test_rest_event_forwarded_headers():
    ours = rest_event(_request(headers=[("X-Forwarded-For", "10.0.0.1")], port=3000), resource="/p",
                      stage="prod")
    # for parity: API Gateway appends the caller to X-Forwarded-For and adds port, proto and a trace id
    assert ours["headers"]["X-Forwarded-For"] == "10.0.0.1, 192.168.0.1"
    assert ours["headers"]["X-Forwarded-Port"] == "3000"
    assert ours["headers"]["X-Amzn-Trace-Id"].startswith("Root=1-")


def test_http_event_has_every_field_of_the_real_shape():
    sample = _sample("apigw-http-v2.json")
    ours = http_event(_request(), route_key="$default", path_parameters={"parameter1": "value1"},
                      stage_variables={"stageVariable1": "value1"})
    real, built = _shape(sample), _shape(ours)
    # for parity: mTLS (authentication) and JWT (authorizer) parts appear only with those features
    optional = {k for k in real
                if k.startswith(("requestContext.authentication", "requestContext.authorizer"))}
    assert {k: real[k] for k in set(real) - optional} == {k: built[k] for k in set(real) - optional}
    assert set(built) <= set(real)
    assert list(ours) == list(sample)  # same key order as AWS sends


def test_http_event_leaves_absent_parts_out():
    ours = http_event(_request(query="", body=b"", headers=[]), route_key="POST /predict")
    # for parity: payload 2.0 omits cookies, queryStringParameters, body, pathParameters, stageVariables
    for key in ("cookies", "queryStringParameters", "body", "pathParameters", "stageVariables"):
        assert key not in ours
    assert ours["rawQueryString"] == "" and ours["isBase64Encoded"] is False


def test_http_event_base64_encodes_non_text_bodies():
    ours = http_event(_request(headers=[("Content-Type", "application/octet-stream")], body=b"\x00\x01"),
                      route_key="POST /predict")
    # for parity: HTTP APIs base64-encode any body whose type is not text
    assert ours["isBase64Encoded"] is True and ours["body"] == "AAE="


def test_alb_event_matches_the_real_shape():
    sample = _sample("alb.json")
    ours = alb_event(_request(query="query=1234ABCD"))
    # for parity: ALB keeps query values URL-encoded and lowercases header names
    assert _shape(ours) == _shape(sample)
    assert list(ours) == list(sample)
    assert all(k == k.lower() for k in ours["headers"])


def test_function_url_event_shape():
    ours = function_url_event(_request(headers=[("Host", "abc123.lambda-url.us-east-1.on.aws")]))
    # for parity: Function URLs send payload 2.0 on the $default route and stage, account "anonymous"
    assert (ours["routeKey"], ours["requestContext"]["stage"]) == ("$default", "$default")
    assert ours["requestContext"]["accountId"] == "anonymous"
    assert ours["requestContext"]["apiId"] == "abc123" and ours["rawPath"] == "/path/to/resource"
    assert "pathParameters" not in ours and "stageVariables" not in ours


_BUILDERS = {
    "http": lambda req: http_event(req, route_key="POST /predict"),
    "url": function_url_event,
    "alb": alb_event,
}


@pytest.mark.parametrize("front", sorted(_BUILDERS))
@pytest.mark.parametrize(("headers", "encoded"), [
    ([("Content-Type", "application/json")], False),
    ([("Content-Type", "application/json; charset=utf-8")], False),
    ([("Content-Type", "text/plain")], False),
    ([("Content-Type", "text/csv")], False),
    ([("Content-Type", "application/x-www-form-urlencoded")], True),
    ([], True),  # no Content-Type at all
    ([("Content-Type", "application/vnd.api+json")], True),
    ([("Content-Type", "application/graphql")], True),
    ([("Content-Type", "application/json"), ("Content-Encoding", "gzip")], True),
    ([("Content-Type", "text/plain"), ("Content-Encoding", "identity")], True),
])
def test_which_bodies_arrive_base64_encoded(front, headers, encoded):
    body = b"a=1&b=%7B%7D"
    ours = _BUILDERS[front](_request(headers=headers, body=body))
    # for parity: HTTP APIs, Function URLs and ALB pass text/* and application/json bodies as text;
    # any other type, no type, or a Content-Encoding header makes the body base64
    assert ours["isBase64Encoded"] is encoded
    assert (base64.b64decode(ours["body"]) if encoded else ours["body"].encode()) == body
