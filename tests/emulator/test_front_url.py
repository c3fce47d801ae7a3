"""The Function URL front: every path to the function in the URL's 2.0 shape, answers inferred."""

from __future__ import annotations

import json

from lambdaserve.emulator.fronts.events import IncomingRequest
from lambdaserve.emulator.fronts.function_url import FunctionUrl
from lambdaserve.runtime.events import SOURCE_URL, parse_event
from tests.emulator.front_handlers.handlers import handler
from tests.emulator.front_handlers.inprocess import InProcessLambda
from tests.runtime.support import load_event


def _url(lam: InProcessLambda | None = None):
    lines: list[str] = []
    lam = lam or InProcessLambda(handler)
    return FunctionUrl(lam, log=lines.append), lam, lines


def _post(path: str, body: object, query: str = "") -> IncomingRequest:
    return IncomingRequest("POST", path, query, [("Host", "127.0.0.1:3000"),
                                                 ("Content-Type", "application/json")],
                           json.dumps(body).encode())


def test_any_path_reaches_the_function_as_a_function_url_event():
    url, lam, lines = _url()
    res = url.handle(_post("/any/where", {"x": 1}, query="a=1&a=2"))
    assert res.status == 200
    event = lam.events[-1]
    real = load_event("function-url.json")
    # for parity: the same keys as the guide's Function URL request payload (minus absent parts).
    assert set(event) <= set(real) and {"version", "routeKey", "rawPath", "headers"} <= set(event)
    assert set(event["requestContext"]) <= set(real["requestContext"])
    assert set(event["requestContext"]["http"]) == set(real["requestContext"]["http"])
    assert event["routeKey"] == "$default" and event["requestContext"]["stage"] == "$default"
    assert event["rawPath"] == "/any/where" and event["queryStringParameters"] == {"a": "1,2"}
    # for parity: the host is the URL's own, which is how the runtime tells a URL from an HTTP API.
    assert event["requestContext"]["domainName"].endswith(".lambda-url.us-east-1.on.aws")
    assert event["headers"]["host"] == event["requestContext"]["domainName"]
    assert parse_event(event, "/predict").source == SOURCE_URL
    assert '"POST /any/where HTTP/1.1" 200' in lines[-1]


def test_the_invocation_id_is_the_events_request_id():
    url, lam, _ = _url()
    req = _post("/", {})
    res = url.handle(req)
    # for parity: a Function URL's requestContext.requestId is the invocation's own id.
    assert lam.events[-1]["requestContext"]["requestId"] == req.request_id
    assert res.header("x-amzn-RequestId") == req.request_id


def test_json_without_status_code_is_inferred_as_a_200_json_body():
    # for parity: the guide's "string response" and "JSON response" examples.
    url, _, _ = _url()
    res = url.handle(_post("/", {"respond": {"message": "Hello, world!"}}))
    assert (res.status, res.header("content-type")) == (200, "application/json")
    assert json.loads(res.body) == {"message": "Hello, world!"}
    res = url.handle(_post("/", {"respond": "Hello, world!"}))
    assert (res.status, res.body) == (200, b'"Hello, world!"')


def test_custom_status_headers_and_cookies():
    url, _, _ = _url()
    res = url.handle(_post("/", {"respond": {
        "statusCode": 201, "headers": {"My-Custom-Header": "Custom Value"},
        "body": "{\"ok\":true}", "cookies": ["a=1; Max-Age=60", "b=2"]}}))
    assert res.status == 201 and res.header("my-custom-header") == "Custom Value"
    assert [v for k, v in res.headers if k == "Set-Cookie"] == ["a=1; Max-Age=60", "b=2"]


def test_function_error_and_malformed_answers_are_502():
    url, _, lines = _url()
    res = url.handle(_post("/", {"raise": "boom"}))
    assert (res.status, res.body) == (502, b"Internal Server Error")
    assert "function error (Unhandled)" in lines[-1]
    res = url.handle(_post("/", {"respond": {"statusCode": "abc"}}))
    assert res.status == 502 and "malformed response" in lines[-1]


def test_throttle_keeps_lambdas_429():
    lam = InProcessLambda(handler, concurrency=0)
    url, _, _ = _url(lam)
    res = url.handle(_post("/", {}))
    assert res.status == 429
