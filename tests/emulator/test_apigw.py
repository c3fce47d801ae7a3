"""The API Gateway front against an in-process Lambda: routing, events, errors, CORS, binary."""

from __future__ import annotations

import base64
import json
import time

import pytest

from lambdaserve.emulator.fronts.apigw import ApiGateway, ApiSettings
from lambdaserve.emulator.fronts.events import IncomingRequest
from lambdaserve.emulator.fronts.proxy_response import GatewayResponse
from tests.emulator.front_handlers.handlers import handler
from tests.emulator.front_handlers.inprocess import InProcessLambda


def _gateway(kind: str = "rest", lam: InProcessLambda | None = None, **settings):
    lines: list[str] = []
    lam = lam or InProcessLambda(handler)
    return ApiGateway(lam, ApiSettings(kind=kind, **settings), log=lines.append), lam, lines


def _post(path: str, body: object, headers=(), query: str = "") -> IncomingRequest:
    return IncomingRequest("POST", path, query, [("Content-Type", "application/json"), *headers],
                           json.dumps(body).encode())


def test_rest_proxies_staged_path_and_builds_v1_event():
    gw, lam, lines = _gateway()
    req = _post("/prod/predict", {"x": 1}, headers=[("X-Dup", "a"), ("X-Dup", "b")], query="k=1&k=2&z=")
    res = gw.handle(req)
    assert res.status == 200
    event = json.loads(res.body)["event"]
    # for parity: REST events carry the resource path in `path` and the staged one in requestContext.path
    assert event["path"] == "/predict" and event["resource"] == "/predict"
    assert event["requestContext"]["path"] == "/prod/predict"
    assert event["requestContext"]["stage"] == "prod"
    # for parity: 1.0 keeps the last value in headers and all of them in multiValueHeaders
    assert event["headers"]["X-Dup"] == "b" and event["multiValueHeaders"]["X-Dup"] == ["a", "b"]
    assert event["queryStringParameters"] == {"k": "2", "z": ""}
    assert event["multiValueQueryStringParameters"] == {"k": ["1", "2"], "z": [""]}
    assert json.loads(event["body"]) == {"x": 1} and event["isBase64Encoded"] is False
    assert res.header("x-amzn-RequestId") == req.request_id
    assert f"requestId={req.request_id}" in lines[-1] and '"POST /prod/predict HTTP/1.1" 200' in lines[-1]


def test_rest_also_serves_without_stage_like_sam_local():
    gw, _, _ = _gateway()
    res = gw.handle(_post("/predict", {}))
    assert res.status == 200
    assert json.loads(res.body)["event"]["requestContext"]["path"] == "/prod/predict"


def test_http_api_v2_event_has_stage_in_raw_path_and_joined_headers():
    gw, _, _ = _gateway("http")
    req = _post("/prod/predict", {}, headers=[("X-Dup", "a"), ("X-Dup", "b"), ("Cookie", "a=1; b=2")],
                query="k=1&k=2")
    event = json.loads(gw.handle(req).body)["event"]
    # for parity: 2.0 rawPath includes a named stage; routeKey is "METHOD /path"
    assert event["rawPath"] == "/prod/predict" and event["routeKey"] == "POST /predict"
    assert event["requestContext"]["http"]["path"] == "/prod/predict"
    # for parity: 2.0 lowercases header names and joins duplicates with commas
    assert event["headers"]["x-dup"] == "a,b"
    assert event["queryStringParameters"] == {"k": "1,2"} and event["rawQueryString"] == "k=1&k=2"
    # for parity: 2.0 moves cookies out of the headers
    assert event["cookies"] == ["a=1", "b=2"] and "cookie" not in event["headers"]


def test_http_api_default_stage_has_no_prefix():
    gw, _, _ = _gateway("http", stage="$default")
    event = json.loads(gw.handle(_post("/predict", {})).body)["event"]
    assert event["rawPath"] == "/predict" and event["requestContext"]["stage"] == "$default"


@pytest.mark.parametrize(("kind", "status", "message"), [
    ("rest", 403, "Missing Authentication Token"), ("http", 404, "Not Found")])
def test_unknown_route(kind, status, message):
    gw, lam, _ = _gateway(kind)
    res = gw.handle(IncomingRequest("GET", "/prod/predict"))  # wrong method
    # for parity: REST answers an unknown route 403 Missing Authentication Token, HTTP APIs 404
    assert (res.status, json.loads(res.body)) == (status, {"message": message})
    assert lam.events == []


@pytest.mark.parametrize("path", ["/health", "/metadata", "/openapi.json"])
def test_builtin_get_routes_reach_the_function(path):
    gw, _, _ = _gateway()
    res = gw.handle(IncomingRequest("GET", path))
    assert res.status == 200 and json.loads(res.body)["event"]["httpMethod"] == "GET"


MALFORMED = [
    ("body is an object", {"statusCode": 200, "body": {"a": 1}}, "body must be a string"),
    ("status text", {"statusCode": "OK", "body": ""}, "statusCode must be an integer"),
    ("unknown key", {"statusCode": 200, "status": 200}, "unexpected keys ['status']"),
    ("header number", {"statusCode": 200, "headers": {"X-N": 5}}, "headers['X-N'] must be a string"),
    ("multi not list", {"statusCode": 200, "multiValueHeaders": {"A": "b"}}, "must be a list of strings"),
    ("bad flag", {"statusCode": 200, "isBase64Encoded": "yes"}, "isBase64Encoded must be true or false"),
    ("a list", [1, 2], "must be a JSON object"),
]


@pytest.mark.parametrize(("why", "answer", "reason"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_rest_malformed_proxy_response_is_502_with_reason_logged(why, answer, reason):
    gw, _, lines = _gateway()
    res = gw.handle(_post("/prod/predict", {"respond": answer}))
    # for parity: a malformed proxy response is API Gateway's bare 502; only its log says why
    assert (res.status, json.loads(res.body)) == (502, {"message": "Internal server error"})
    assert "Malformed Lambda proxy response" in lines[-1] and reason in lines[-1]


def test_invalid_json_from_the_function_is_malformed():
    gw, _, lines = _gateway(lam=InProcessLambda(handler, raw=b"not json"))
    assert gw.handle(_post("/prod/predict", {})).status == 502
    assert "not valid JSON" in lines[-1]


def test_http_api_malformed_is_500_and_ignores_unknown_keys():
    gw, _, lines = _gateway("http")
    res = gw.handle(_post("/predict", {"respond": {"statusCode": 200, "body": {"a": 1}}}))
    # for parity: HTTP APIs answer 500 {"message":"Internal Server Error"}
    assert (res.status, json.loads(res.body)) == (500, {"message": "Internal Server Error"})
    assert "body must be a string" in lines[-1]
    ok = gw.handle(_post("/predict", {"respond": {"statusCode": 201, "body": "x", "extra": 1}}))
    assert (ok.status, ok.body) == (201, b"x")


def test_http_api_takes_any_json_without_status_code_as_a_200_body():
    gw, _, _ = _gateway("http")
    res = gw.handle(_post("/predict", {"respond": {"prediction": [1, 2]}}))
    # for parity: payload 2.0 treats JSON without statusCode as the body of a 200
    assert res.status == 200 and json.loads(res.body) == {"prediction": [1, 2]}
    assert res.header("Content-Type") == "application/json"
    assert gw.handle(_post("/predict", {"respond": "text"})).body == b'"text"'


def test_http_api_cookies_become_set_cookie_headers():
    gw, _, _ = _gateway("http")
    res = gw.handle(_post("/predict", {"respond": {"statusCode": 200, "cookies": ["a=1", "b=2"]}}))
    assert [v for k, v in res.headers if k == "Set-Cookie"] == ["a=1", "b=2"]


def test_rest_merges_headers_and_multi_value_headers():
    gw, _, _ = _gateway()
    res = gw.handle(_post("/prod/predict", {"respond": {
        "statusCode": 200, "headers": {"X-A": "1", "X-B": "2"}, "multiValueHeaders": {"X-A": ["1", "3"]}}}))
    pairs = [(k, v) for k, v in res.headers if k.startswith("X-")]
    assert pairs == [("X-A", "1"), ("X-A", "3"), ("X-B", "2")]


@pytest.mark.parametrize(("kind", "status", "body"), [
    ("rest", 502, {"message": "Internal server error"}), ("http", 500, {"message": "Internal Server Error"})])
def test_function_error_is_bare_5xx_with_error_type_logged(kind, status, body):
    gw, _, lines = _gateway(kind)
    res = gw.handle(_post("/predict", {"raise": "bad input shape"}))
    assert (res.status, json.loads(res.body)) == (status, body)
    assert "customer function error: ValueError: bad input shape" in lines[-1]


def test_function_timeout_under_29s_is_502():
    lam = InProcessLambda(handler, timeout_s=0.05)
    gw, _, lines = _gateway(lam=lam, function_timeout_s=0.05)
    res = gw.handle(_post("/prod/predict", {"sleep": 0.1}))
    # for parity: a function timing out before API Gateway's 29 s is a function error, so 502
    assert res.status == 502 and "Task timed out after 0.05 seconds" in lines[-1]


@pytest.mark.parametrize(("kind", "status", "message"), [
    ("rest", 504, "Endpoint request timed out"), ("http", 503, "Service Unavailable")])
def test_integration_timeout_answers_at_the_deadline(kind, status, message):
    gw, lam, lines = _gateway(kind, function_timeout_s=60, integration_timeout_s=0.1)
    early: list[tuple[GatewayResponse, float]] = []
    try:
        started = time.perf_counter()
        res = gw.handle(_post("/predict", {"sleep": 0.6}),
                        respond_early=lambda r: early.append((r, time.perf_counter() - started)))
    finally:
        gw.close()
    # for parity: past the integration timeout (29 s REST) the gateway answers on its own
    assert res is None and len(early) == 1
    answer, after_s = early[0]
    assert (answer.status, json.loads(answer.body)) == (status, {"message": message})
    assert after_s < 0.5  # at the deadline, not when the function finished
    assert "integration timed out after 0.1 s" in lines[0]
    assert len(lam.events) == 1  # the function itself ran to the end


def test_integration_timeout_without_early_answer_is_returned_late():
    gw, _, _ = _gateway(function_timeout_s=60, integration_timeout_s=0.1)
    try:
        res = gw.handle(_post("/predict", {"sleep": 0.3}))
    finally:
        gw.close()
    assert res is not None and res.status == 504


def test_answer_within_the_integration_timeout_is_not_replaced():
    gw, _, _ = _gateway(function_timeout_s=60, integration_timeout_s=5)
    early: list[GatewayResponse] = []
    try:
        res = gw.handle(_post("/predict", {}), respond_early=early.append)
    finally:
        gw.close()
    assert res is not None and res.status == 200 and early == []


def test_throttled_invoke_is_500_with_reason_logged():
    lam = InProcessLambda(handler, concurrency=0)
    gw, _, lines = _gateway(lam=lam)
    res = gw.handle(_post("/prod/predict", {}))
    # for parity: when Lambda refuses the invoke (throttle), REST answers 500, not 429
    assert (res.status, json.loads(res.body)) == (500, {"message": "Internal server error"})
    assert "429: TooManyRequestsException: Rate Exceeded." in lines[-1]


def test_request_over_10_mb_is_413_before_invoking():
    gw, lam, _ = _gateway(cors_origins=("https://app.example.com",))
    res = gw.handle(IncomingRequest("POST", "/prod/predict", body=b"x" * (10 * 1024 * 1024 + 1)))
    # for parity: REST answers a body over 10 MB in plain text, before any gateway response (no CORS)
    assert (res.status, res.body) == (413, b"HTTP content length exceeded 10485760 bytes.")
    assert ("Content-Type", "text; charset=utf-8") in res.headers
    assert not any(k == "Access-Control-Allow-Origin" for k, _ in res.headers)
    assert lam.events == []
    http, lam, _ = _gateway(kind="http")
    res = http.handle(IncomingRequest("POST", "/predict", body=b"x" * (10 * 1024 * 1024 + 1)))
    assert (res.status, json.loads(res.body)) == (413, {"message": "Request Entity Too Large"})
    assert lam.events == []


@pytest.mark.parametrize(("kind", "path", "message"), [
    ("rest", "/prod/predict", "Request Too Long"),
    ("http", "/predict", "Request Entity Too Large"),
])
def test_event_over_lambdas_6_mb_is_413_through_the_gateway(kind, path, message):
    lam = InProcessLambda(handler, concurrency=1)
    gw, _, lines = _gateway(lam=lam, kind=kind)
    res = gw.handle(IncomingRequest("POST", path, body=b"x" * (7 * 1024 * 1024)))
    # for parity: Lambda's 413 reaches the client as API Gateway's 413, not a 500
    assert (res.status, json.loads(res.body)) == (413, {"message": message})
    if kind == "rest":
        assert ("x-amzn-ErrorType", "BadRequestException") in res.headers
    assert "413: RequestEntityTooLargeException" in lines[-1]


def test_rest_cors_preflight_is_the_templates_options_mock():
    gw, lam, _ = _gateway(cors_origins=("https://app.example.com",))
    pre = IncomingRequest("OPTIONS", "/prod/predict", headers=[
        ("Origin", "https://app.example.com"), ("Access-Control-Request-Method", "POST")])
    res = gw.handle(pre)
    # for parity: a REST OPTIONS mock answers 200 with static headers, without invoking
    assert res is not None and res.status == 200 and lam.events == []
    assert res.header("Access-Control-Allow-Origin") == "https://app.example.com"
    assert res.header("Access-Control-Allow-Methods") == "GET,POST,OPTIONS"
    assert "content-type" in (res.header("Access-Control-Allow-Headers") or "")
    # gateway errors carry the origin too (the template's DEFAULT_4XX/5XX responses)
    missing = gw.handle(IncomingRequest("GET", "/prod/nowhere"))
    assert missing is not None and missing.header("Access-Control-Allow-Origin") == "https://app.example.com"


def test_rest_with_several_origins_sends_preflight_to_the_function():
    gw, lam, _ = _gateway(cors_origins=("https://a.test", "https://b.test"))
    res = gw.handle(IncomingRequest("OPTIONS", "/prod/predict", headers=[("Origin", "https://b.test")]))
    # a static mock names one origin only, so the function answers (runtime echoes the origin)
    assert res is not None and res.status == 200 and lam.events[0]["httpMethod"] == "OPTIONS"


def test_http_api_answers_preflight_itself_and_sets_origin_on_responses():
    gw, lam, _ = _gateway("http", cors_origins=("https://a.test",))
    res = gw.handle(IncomingRequest("OPTIONS", "/predict", headers=[("Origin", "https://a.test")]))
    # for parity: HTTP APIs with CORS configured answer preflight with 204 without invoking
    assert res is not None and res.status == 204 and lam.events == []
    assert res.header("Access-Control-Allow-Origin") == "https://a.test"
    other = gw.handle(IncomingRequest("OPTIONS", "/predict", headers=[("Origin", "https://evil.test")]))
    assert other is not None and other.status == 204 and other.header("Access-Control-Allow-Origin") is None
    answer = {"statusCode": 200, "headers": {"Access-Control-Allow-Origin": "*"}, "body": "x"}
    ok = gw.handle(_post("/predict", {"respond": answer}, headers=[("Origin", "https://a.test")]))
    # for parity: the API's CORS configuration overrides the function's own CORS headers
    assert ok is not None
    assert [v for k, v in ok.headers if k.lower() == "access-control-allow-origin"] == ["https://a.test"]


def test_options_without_cors_is_an_unknown_route():
    gw, _, _ = _gateway()
    assert gw.handle(IncomingRequest("OPTIONS", "/prod/predict")).status == 403


def test_rest_binary_media_types_encode_request_and_decode_response():
    png = bytes(range(256))
    answer = {"statusCode": 200, "headers": {"Content-Type": "image/png"}, "isBase64Encoded": True,
              "body": base64.b64encode(png).decode()}
    binary_lam = InProcessLambda(lambda event, ctx: answer)
    gw, lam, _ = _gateway(lam=binary_lam, binary_media_types=("image/png",))
    res = gw.handle(IncomingRequest("POST", "/prod/predict", headers=[("Content-Type", "image/png")],
                                    body=png))
    # for parity: REST base64-encodes request bodies of a binary media type
    assert lam.events[0]["isBase64Encoded"] is True
    assert base64.b64decode(lam.events[0]["body"]) == png
    assert res.body == png


def test_rest_without_binary_types_passes_base64_text_through():
    answer = {"statusCode": 200, "isBase64Encoded": True, "body": "aGk="}
    gw, _, _ = _gateway(lam=InProcessLambda(lambda event, ctx: answer))
    # for parity: REST decodes only for the API's binary media types
    assert gw.handle(_post("/prod/predict", {})).body == b"aGk="
    gw_http, _, _ = _gateway("http", lam=InProcessLambda(lambda event, ctx: answer))
    assert gw_http.handle(_post("/predict", {})).body == b"hi"
