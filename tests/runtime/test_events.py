"""Each event source, from its real shape (tests/events/), in and out."""

from __future__ import annotations

import base64
import json

from lambdaserve.runtime.events import (
    SOURCE_ALB,
    SOURCE_DIRECT,
    SOURCE_HTTP,
    SOURCE_REST,
    SOURCE_URL,
    HttpResponse,
    format_response,
    parse_event,
)
from tests.runtime.support import Context, answer, load_event, runtime

ROWS = {"data": [[5.1, 3.5, 1.4, 0.2], [-6.0, -1.0, -1.0, -1.0]]}


def test_rest_proxy_fields_from_the_sam_event():
    # for parity: REST v1 carries both single and multi-value headers/queries; the lists win.
    request = parse_event(load_event("apigw-rest-proxy.json"), "/predict")
    assert request.source == SOURCE_REST
    assert request.method == "POST"
    assert request.path == "/path/to/resource"
    assert request.header("USER-AGENT") == "Custom User Agent String"
    assert request.query == {"foo": ["bar"]}
    assert request.request_id == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    assert request.body_bytes() == b'{"test":"body"}'


def test_rest_proxy_base64_body_predicts():
    # for parity: REST APIs with binary media types deliver the body base64-encoded.
    event = load_event("apigw-rest-proxy.json")
    event["path"] = "/predict"
    event["body"] = base64.b64encode(json.dumps(ROWS).encode()).decode()
    rt, _ = runtime()
    result = rt.handle(event, Context())
    assert answer(result) == (200, {"predictions": [1, 0]})
    assert set(result) == {"statusCode", "headers", "body", "isBase64Encoded"}
    assert result["isBase64Encoded"] is False


def test_rest_repeated_query_values_keep_the_last_one():
    # for parity: REST v1 puts only the last repeat in queryStringParameters; all are in multiValue.
    event = load_event("apigw-rest-proxy.json")
    event["multiValueQueryStringParameters"] = {"probabilities": ["false", "true"]}
    event["queryStringParameters"] = {"probabilities": "true"}
    request = parse_event(event, "/predict")
    assert request.query["probabilities"] == ["false", "true"]
    assert request.query_value("probabilities") == "true"


def test_rest_null_headers_and_body():
    # for parity: REST v1 sends null (not {}) for absent headers, queries and body.
    event = load_event("apigw-rest-proxy.json")
    for key in (
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "body",
    ):
        event[key] = None
    event["isBase64Encoded"] = False
    request = parse_event(event, "/predict")
    assert request.headers == {} and request.query == {} and request.body_bytes() == b""


def test_http_api_v2_fields_from_the_sam_event():
    # for parity: v2 joins repeated headers with commas and keeps cookies apart from headers.
    request = parse_event(load_event("apigw-http-v2.json"), "/predict")
    assert request.source == SOURCE_HTTP
    assert request.method == "POST"
    assert request.header("header2") == "value1,value2"
    assert request.cookies == ["cookie1", "cookie2"]
    assert request.query == {"parameter1": ["value1", "value2"], "parameter2": ["value"]}
    assert request.body_bytes() == b'{"test":"body"}'


def test_http_api_named_stage_prefix_is_stripped():
    # for parity: HTTP API puts a named stage in rawPath ("/prod/predict"), unlike $default.
    event = load_event("apigw-http-v2.json")
    event["requestContext"]["stage"] = "prod"
    event["rawPath"] = "/prod/predict"
    event["isBase64Encoded"] = False
    event["body"] = json.dumps(ROWS)
    rt, _ = runtime()
    result = rt.handle(event, Context())
    assert answer(result) == (200, {"predictions": [1, 0]})
    assert set(result) == {"statusCode", "headers", "body", "isBase64Encoded"}


def test_default_stage_keeps_the_path():
    # for parity: the $default stage never appears in rawPath, so a route named like a stage survives.
    event = load_event("apigw-http-v2.json")
    event["rawPath"] = "/prod/predict"
    assert parse_event(event, "/predict").path == "/prod/predict"


def test_function_url_is_told_apart_by_its_domain():
    # for parity: Function URLs send the v2 shape; only domainName (*.lambda-url.*) differs.
    event = load_event("function-url.json")
    request = parse_event(event, "/predict")
    assert request.source == SOURCE_URL
    assert request.path == "/my/path"
    assert request.cookies == ["cookie1", "cookie2"]
    event["rawPath"] = "/predict"
    event["body"] = json.dumps(ROWS)
    rt, _ = runtime()
    assert answer(rt.handle(event, Context())) == (200, {"predictions": [1, 0]})


def test_alb_single_value_answer_has_status_description():
    # for parity: ALB requires statusDescription ("200 OK") and answers with plain headers.
    event = load_event("alb.json")
    event["path"] = "/predict"
    event["body"] = base64.b64encode(json.dumps(ROWS).encode()).decode()
    rt, _ = runtime()
    result = rt.handle(event, Context())
    assert parse_event(event, "/predict").source == SOURCE_ALB
    assert result["statusDescription"] == "200 OK"
    assert "multiValueHeaders" not in result
    assert result["headers"]["Content-Type"] == "application/json"
    assert answer(result) == (200, {"predictions": [1, 0]})


def test_alb_multi_value_mode_answers_with_multi_value_headers():
    # for parity: with multi-value headers on, ALB ignores "headers" in the answer; use multiValueHeaders.
    event = load_event("alb-multi-value.json")
    event["path"] = "/nowhere"
    rt, _ = runtime()
    result = rt.handle(event, Context())
    assert result["statusCode"] == 404
    assert result["statusDescription"] == "404 Not Found"
    assert "headers" not in result
    assert result["multiValueHeaders"]["Content-Type"] == ["application/json"]


def test_alb_query_strings_arrive_url_encoded():
    # for parity: ALB does not decode query strings; the function must.
    event = load_event("alb-multi-value.json")
    event["multiValueQueryStringParameters"] = {"probabilities": ["tr%75e"], "a%20b": ["c+d"]}
    request = parse_event(event, "/predict")
    assert request.query == {"probabilities": ["true"], "a b": ["c d"]}


def test_direct_invoke_is_a_plain_dict():
    rt, _ = runtime()
    result = rt.handle(ROWS, Context())
    assert result == {"predictions": [1, 0]}
    assert parse_event(ROWS, "/predict").source == SOURCE_DIRECT


def test_direct_invoke_error_is_a_plain_dict():
    rt, _ = runtime()
    result = rt.handle({"data": [[1, 2]]}, Context("req-9"))
    assert result == {
        "error": {
            "status": 400,
            "message": "row 0 has 2 features; the model expects 4",
            "hint": "Check the rows against GET /metadata (the model's signature).",
            "request_id": "req-9",
        }
    }


def test_non_object_events_are_direct_invokes():
    rt, _ = runtime()
    for event in ([1, 2], "text", None, 3):
        result = rt.handle(event, Context())
        assert result["error"]["status"] == 400
        assert "JSON object" in result["error"]["message"]


def test_empty_body_formats_as_empty_string():
    out = format_response(parse_event(load_event("apigw-http-v2.json"), "/p"), HttpResponse(204, None, {}))
    assert out["body"] == "" and out["statusCode"] == 204


def test_request_id_falls_back_to_the_event():
    rt, _ = runtime()
    event = load_event("apigw-http-v2.json")
    event["rawPath"] = "/health"
    event["requestContext"]["http"]["method"] = "GET"
    result = rt.handle(event, None)
    assert result["headers"]["X-Request-Id"] == "id"


def test_alb_empty_header_lists():
    # for parity: multi-value mode can send a header with an empty list of values.
    event = load_event("alb-multi-value.json")
    event["multiValueHeaders"]["x-amzn-trace-id"] = []
    event["multiValueHeaders"]["content-type"] = []
    request = parse_event(event, "/predict")
    assert request.request_id is None and request.header("content-type") is None


def test_keep_warm_schedule_is_a_health_check_not_a_prediction():
    # for parity: the keep-warm rule sends EventBridge's "Scheduled Event"; it must not predict.
    rt, _ = runtime()
    result = rt.handle(load_event("scheduled-event.json"), Context())
    assert result["status"] == "ok"
    assert "predictions" not in result
