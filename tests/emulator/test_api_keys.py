"""api.auth = api_key locally: REST's 403 before the function, open paths, greedy routes."""

from __future__ import annotations

import json

from lambdaserve.emulator.fronts import routing
from lambdaserve.emulator.fronts.apigw import ApiGateway, ApiSettings
from lambdaserve.emulator.fronts.events import IncomingRequest
from tests.emulator.front_handlers.handlers import handler
from tests.emulator.front_handlers.inprocess import InProcessLambda

KEY = "k3y-for-tests"
DOCS = ("/", "/docs", "/docs/{proxy+}")


def _gateway(kind: str = "rest", **settings):
    lam = InProcessLambda(handler)
    lines: list[str] = []
    return ApiGateway(lam, ApiSettings(kind=kind, **settings), log=lines.append), lam, lines


def _req(method: str, path: str, key: str | None = None) -> IncomingRequest:
    headers = [("Content-Type", "application/json")] + ([("x-api-key", key)] if key is not None else [])
    return IncomingRequest(method, path, "", headers, b"{}" if method == "POST" else b"")


def test_missing_or_wrong_key_is_rest_403_forbidden_and_the_function_never_runs():
    gw, lam, lines = _gateway(api_keys=(KEY,), open_paths=("/health",))
    for key in (None, "wrong", ""):
        res = gw.handle(_req("POST", "/prod/predict", key))
        # for parity: API Gateway REST's answer to a missing or unknown x-api-key.
        assert (res.status, json.loads(res.body)) == (403, {"message": "Forbidden"})
        assert res.header("x-amzn-ErrorType") == "ForbiddenException"
    assert lam.events == [] and 'integrationError="no valid x-api-key"' in lines[-1]
    assert gw.handle(_req("POST", "/prod/predict", KEY)).status == 200
    assert gw.handle(_req("GET", "/prod/health")).status == 200  # open, as the template makes it


def test_an_unknown_route_stays_missing_authentication_token_with_keys_on():
    gw, _, _ = _gateway(api_keys=(KEY,))
    res = gw.handle(_req("GET", "/prod/nope", KEY))
    assert (res.status, json.loads(res.body)) == (403, {"message": "Missing Authentication Token"})


def test_no_keys_means_no_check():
    gw, _, _ = _gateway()
    assert gw.handle(_req("POST", "/prod/predict")).status == 200


def test_docs_routes_are_greedy_and_open_with_proxy_path_parameters():
    gw, lam, _ = _gateway(extra_get_paths=DOCS, api_keys=(KEY,), open_paths=DOCS)
    assert gw.handle(_req("GET", "/prod/docs/5.35.0/swagger-ui.css")).status == 200
    event = lam.events[-1]
    # for parity: a greedy resource reaches the function with its pattern and the proxy parameter.
    assert event["resource"] == "/docs/{proxy+}"
    assert event["pathParameters"] == {"proxy": "5.35.0/swagger-ui.css"}
    # for parity: the stage's bare URL is the API's root resource.
    assert gw.handle(_req("GET", "/prod")).status == 200
    assert lam.events[-1]["resource"] == "/" and lam.events[-1]["requestContext"]["path"] == "/prod/"


def test_http_api_greedy_route_key():
    gw, lam, _ = _gateway("http", extra_get_paths=DOCS)
    assert gw.handle(_req("GET", "/prod/docs/a/b")).status == 200
    assert lam.events[-1]["routeKey"] == "GET /docs/{proxy+}"
    assert lam.events[-1]["pathParameters"] == {"proxy": "a/b"}


def test_route_matching_prefers_exact_routes_and_needs_a_segment_for_proxy():
    routes = ["/docs", "/docs/{proxy+}", "/predict"]
    assert routing.route_of("/docs", routes) == "/docs"
    assert routing.route_of("/docs/x/y", routes) == "/docs/{proxy+}"
    assert routing.route_of("/docs/", routes) == "/docs"
    assert routing.route_of("/nope/", routes) is None
    assert routing.route_of("/docsx", routes) is None


def test_local_keys_come_from_options_then_env_then_a_new_one():
    assert routing.local_api_keys(["a"], {"LAMBDASERVE_API_KEYS": "b"}) == (("a",), False)
    assert routing.local_api_keys([], {"LAMBDASERVE_API_KEYS": "b, c"}) == (("b", "c"), False)
    (made,), fresh = routing.local_api_keys([], {})
    assert fresh and len(made) >= 30 and routing.local_api_keys([], {})[0] != (made,)
