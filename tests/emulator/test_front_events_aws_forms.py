"""Events as AWS sends them, whichever local port and host the client dialled (issue 18, 15-16).

The facts come from AWS's documentation: API Gateway's developer guide ("Input format of a Lambda
function for proxy integration", "Working with AWS Lambda proxy integrations for HTTP APIs") and
the ELB guide ("Lambda functions as targets").
"""

from __future__ import annotations

import json
import re

import pytest

from lambdaserve.emulator.fronts.alb import LoadBalancer
from lambdaserve.emulator.fronts.apigw import ApiGateway, ApiSettings
from lambdaserve.emulator.fronts.events import IncomingRequest
from tests.emulator.front_handlers.handlers import handler
from tests.emulator.front_handlers.inprocess import InProcessLambda

KEY = "k3y-for-tests-0123456789"


def _local(path: str, headers: tuple[tuple[str, str], ...] = ()) -> IncomingRequest:
    # What a local client sends: Host 127.0.0.1:PORT, plain http on that port.
    sent = [("Host", "127.0.0.1:3123"), ("Content-Type", "application/json"), *headers]
    return IncomingRequest("POST", path, "", sent, b"{}", port=3123)


def _event(front, path: str, headers: tuple[tuple[str, str], ...] = ()) -> dict:
    res = front.handle(_local(path, headers))
    assert res.status == 200, res.body
    return json.loads(res.body)["event"]


def test_rest_event_carries_the_execute_api_host_and_https():
    event = _event(ApiGateway(InProcessLambda(handler), ApiSettings(kind="rest")), "/prod/predict")
    host = "lambdaserve.execute-api.us-east-1.amazonaws.com"
    # for parity: REST events name the execute-api host, its first label as domainPrefix, https on 443
    assert event["headers"]["Host"] == host and event["multiValueHeaders"]["Host"] == [host]
    assert event["requestContext"]["domainName"] == host
    assert event["requestContext"]["domainPrefix"] == "lambdaserve"
    assert (event["headers"]["X-Forwarded-Proto"], event["headers"]["X-Forwarded-Port"]) == ("https", "443")


def test_http_api_event_carries_the_execute_api_host_and_https():
    settings = ApiSettings(kind="http", stage="$default", region="eu-west-1")
    event = _event(ApiGateway(InProcessLambda(handler), settings), "/predict")
    host = "lambdaserve.execute-api.eu-west-1.amazonaws.com"
    # for parity: payload 2.0 has the same host in headers and requestContext.domainName
    assert event["headers"]["host"] == host and event["requestContext"]["domainName"] == host
    assert event["requestContext"]["domainPrefix"] == "lambdaserve"
    assert (event["headers"]["x-forwarded-proto"], event["headers"]["x-forwarded-port"]) == ("https", "443")


@pytest.mark.parametrize("multi_value", [False, True])
def test_alb_event_carries_the_load_balancers_host(multi_value):
    event = _event(LoadBalancer(InProcessLambda(handler), multi_value=multi_value), "/predict")
    headers = event["multiValueHeaders"] if multi_value else event["headers"]
    one = (lambda name: headers[name][0]) if multi_value else headers.__getitem__
    # for parity: ALB forwards its own DNS name as host, with the listener's port and protocol
    assert re.fullmatch(r"[a-z0-9-]+\.us-east-1\.elb\.amazonaws\.com", one("host"))
    assert (one("x-forwarded-proto"), one("x-forwarded-port")) == ("https", "443")


def test_rest_identity_under_api_key_auth():
    gw = ApiGateway(InProcessLambda(handler), ApiSettings(kind="rest", api_keys=(KEY,)))
    event = _event(gw, "/prod/predict", (("x-api-key", KEY),))
    identity = event["requestContext"]["identity"]
    # for parity: with a required key, REST events carry the key and its id in identity
    assert identity["apiKey"] == KEY
    assert re.fullmatch(r"[a-z0-9]{10}", identity["apiKeyId"])
    assert _event(gw, "/prod/predict", (("x-api-key", KEY),))["requestContext"]["identity"]["apiKeyId"] == \
        identity["apiKeyId"]  # one key, one id


def test_rest_event_nulls_that_aws_sends():
    event = _event(ApiGateway(InProcessLambda(handler), ApiSettings(kind="rest")), "/prod/predict")
    identity = event["requestContext"]["identity"]
    # for parity: REST events carry principalOrgId and clientCert (null without mTLS) and authorizer
    assert "principalOrgId" in identity and identity["principalOrgId"] is None
    assert "clientCert" in identity and identity["clientCert"] is None
    assert "authorizer" in event["requestContext"] and event["requestContext"]["authorizer"] is None
    assert "apiKey" not in identity  # no key required: none in the event


def test_gateway_error_bodies_are_compact_json():
    gw = ApiGateway(InProcessLambda(handler), ApiSettings(kind="rest", api_keys=(KEY,)))
    # for parity: API Gateway writes {"message":"Forbidden"}, no space after the colon
    assert gw.handle(_local("/prod/predict")).body == b'{"message":"Forbidden"}'
    assert gw.handle(_local("/prod/nowhere")).body == b'{"message":"Missing Authentication Token"}'
    http = ApiGateway(InProcessLambda(handler), ApiSettings(kind="http"))
    assert http.handle(_local("/nowhere")).body == b'{"message":"Not Found"}'
