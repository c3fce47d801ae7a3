"""Event shapes that look like requests but are not ones we serve: the invocation fails, naming
the source (issue 18), as for the non-HTTP sources in test_event_sources.py."""

from __future__ import annotations

import pytest

from lambdaserve.runtime.events import (
    SOURCE_ALB,
    SOURCE_HTTP,
    SOURCE_REST,
    SOURCE_URL,
    UnsupportedEventError,
    parse_event,
)
from tests.runtime.support import load_event


@pytest.mark.parametrize(("name", "named"), [
    # for parity: VPC Lattice v2 says version "2.0" like an HTTP API, but its requestContext has
    # serviceNetworkArn/targetGroupArn and no http
    ("vpc-lattice-v2.json", "VPC Lattice"),
    # for parity: API Gateway authorizers get type TOKEN|REQUEST with a methodArn (REST) or routeArn (HTTP)
    ("apigw-authorizer-token.json", "Lambda authorizer"),
    ("apigw-authorizer-request.json", "Lambda authorizer"),
    ("apigw-http-authorizer-v2.json", "Lambda authorizer"),
])
def test_lookalike_sources_are_refused_by_name(name, named):
    with pytest.raises(UnsupportedEventError) as caught:
        parse_event(load_event(name), "/predict")
    assert named in caught.value.message and caught.value.hint


def test_lattice_v1_is_refused_too():
    # for parity: VPC Lattice v1 events use snake_case keys: raw_path, method, is_base64_encoded
    event = {"raw_path": "/predict", "method": "POST", "headers": {}, "query_string_parameters": {},
             "body": "{}", "is_base64_encoded": False}
    with pytest.raises(UnsupportedEventError, match="VPC Lattice"):
        parse_event(event, "/predict")


@pytest.mark.parametrize(("name", "source"), [("apigw-rest-proxy.json", SOURCE_REST),
                                              ("apigw-http-v2.json", SOURCE_HTTP),
                                              ("function-url.json", SOURCE_URL), ("alb.json", SOURCE_ALB)])
def test_the_sources_we_serve_are_not_mistaken_for_them(name, source):
    assert parse_event(load_event(name), "/predict").source == source
