"""The corpus of bad requests: each gets its 4xx and a message a client can act on."""

from __future__ import annotations

import base64
import json

import pytest

from tests.runtime.support import Context, ImageMean, TwoInputs, answer, http_event, load_event, runtime

GOOD = [5.1, 3.5, 1.4, 0.2]
SIX_MB = 6 * 1024 * 1024

CASES = [
    # (id, raw body or None, body object, expected status, expected message)
    (
        "malformed json",
        '{"data": [[1, 2,]]}',
        None,
        400,
        "the body is not valid JSON: Expecting value at line 1 column 17",
    ),
    ("truncated json", '{"data": [[1, 2', None, 400, "the body is not valid JSON"),
    (
        "wrong row width",
        None,
        {"data": [GOOD, GOOD, [1, 2, 3]]},
        400,
        "row 2 has 3 features; the model expects 4",
    ),
    ("string for number", None, {"data": [[1, "abc", 3, 4]]}, 400, "row 0, column 1: 'abc' is not a number"),
    ("numeric string", None, {"data": [[1, "2", 3, 4]]}, 400, "row 0, column 1: '2' is not a number"),
    ("boolean for number", None, {"data": [[1, 2, True, 4]]}, 400, "row 0, column 2: true is not a number"),
    ("null for number", None, {"data": [[1, 2, 3, None]]}, 400, "row 0, column 3: null is not a number"),
    ("nan", '{"data": [[1, NaN, 3, 4]]}', None, 400, "row 0, column 1: NaN is not a finite number"),
    (
        "infinity",
        '{"data": [[1, 2, -Infinity, 4]]}',
        None,
        400,
        "row 0, column 2: -Infinity is not a finite number",
    ),
    (
        "overflowing number",
        '{"data": [[1, 2, 3, 1e999]]}',
        None,
        400,
        "row 0, column 3: Infinity is not a finite number",
    ),
    ("empty list", None, {"data": []}, 400, "the list of rows is empty; send at least one row"),
    ("flat row", None, {"data": GOOD}, 400, "row 0 is 5.1; the model expects a row of 4 features"),
    (
        "nested too deep in a row",
        None,
        {"data": [[[1], 2, 3, 4]]},
        400,
        "row 0, column 0: a list is not a number",
    ),
    ("deep nesting", "[" * 100000 + "]" * 100000, None, 400, "the body is nested too deeply"),
    (
        "deep nesting under data",
        '{"data": ' + "[" * 5000 + "]" * 5000 + "}",
        None,
        400,
        "the body is nested too deeply",
    ),
    (
        "moderate nesting under data",
        '{"data": ' + "[" * 200 + "]" * 200 + "}",
        None,
        400,
        "row 0 has 1 feature; the model expects 4",
    ),
    (
        "no data key",
        None,
        {"rows": [GOOD]},
        400,
        'the body needs exactly one of "data", "instances" or "inputs"; it has none of them',
    ),
    ("two formats", None, {"data": [GOOD], "instances": [GOOD]}, 400, "it has data and instances"),
    ("body is a list", None, [GOOD], 400, "the body must be a JSON object, not a list"),
    ("empty body", "", None, 400, "the body is empty"),
    (
        "unknown feature name",
        None,
        {"data": [{"sepal_length": 1, "sepal_width": 1, "petal_length": 1, "petal_width": 1, "color": 2}]},
        400,
        "row 0 has unknown feature 'color'",
    ),
    (
        "missing feature name",
        None,
        {"data": [{"sepal_length": 1}]},
        400,
        "row 0 is missing feature 'sepal_width'",
    ),
    (
        "probabilities not boolean",
        None,
        {"data": [GOOD], "parameters": {"probabilities": "yes"}},
        400,
        "parameters.probabilities must be true or false, not 'yes'",
    ),
    (
        "oip wrong shape",
        None,
        {"inputs": [{"name": "input", "shape": [2, 4], "datatype": "FP32", "data": [1, 2, 3, 4, 5, 6, 7]}]},
        400,
        "input 'input': shape [2, 4] holds 8 values but data has 7",
    ),
    (
        "oip shape does not fit",
        None,
        {"inputs": [{"name": "input", "shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3, 4, 5, 6]}]},
        400,
        "input 'input': shape [2, 3] does not fit the model's [-1, 4]",
    ),
    (
        "oip unknown input",
        None,
        {"inputs": [{"name": "pixels", "shape": [1, 4], "datatype": "FP32", "data": GOOD}]},
        400,
        "unknown input 'pixels'",
    ),
    (
        "oip bad datatype",
        None,
        {"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FLOAT", "data": GOOD}]},
        400,
        "input 'input': datatype 'FLOAT' is not an Open Inference Protocol type",
    ),
    (
        "oip bytes for floats",
        None,
        {"inputs": [{"name": "input", "shape": [1, 4], "datatype": "BYTES", "data": ["a", "b", "c", "d"]}]},
        400,
        "input 'input': datatype BYTES does not fit the model's FP32",
    ),
    (
        "oip string in data",
        None,
        {"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, "x", 4]}]},
        400,
        "input is not valid: row 0, column 2: 'x' is not a number",
    ),
    ("oip empty inputs", None, {"inputs": []}, 400, '"inputs" is empty'),
    (
        "oip negative shape",
        None,
        {"inputs": [{"name": "input", "shape": [-1, 4], "datatype": "FP32", "data": GOOD}]},
        400,
        "shape must be a list of non-negative integers",
    ),
]


@pytest.mark.parametrize(
    ("raw", "body", "status", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_body(raw, body, status, message):
    rt, _ = runtime()
    event = http_event(body, raw=raw) if raw is not None else http_event(body)
    got_status, got = answer(rt.handle(event, Context("req-7")))
    assert got_status == status
    error = got["error"]
    assert error["request_id"] == "req-7"
    assert message.removeprefix("input is not valid: ") in error["message"]


def test_invalid_base64_body():
    event = load_event("apigw-rest-proxy.json")
    event["path"] = "/predict"
    event["body"] = "eyJkYXRh!!not-base64"
    rt, _ = runtime()
    status, body = answer(rt.handle(event, Context()))
    assert status == 400
    assert body["error"]["message"] == "the body is marked base64-encoded but is not valid base64"


def test_base64_body_that_is_not_utf8():
    event = load_event("apigw-rest-proxy.json")
    event["path"] = "/predict"
    event["body"] = base64.b64encode(b"\xff\xfe{}").decode()
    rt, _ = runtime()
    status, body = answer(rt.handle(event, Context()))
    assert (status, body["error"]["message"]) == (400, "the body is not UTF-8 text")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "image/png"])
def test_wrong_content_type_with_a_non_json_body_is_415(content_type):
    rt, _ = runtime()
    event = http_event({"data": [GOOD]}, headers={"content-type": content_type})
    event["body"] = "data=1&x=2"
    status, body = answer(rt.handle(event, Context()))
    assert status == 415
    assert body["error"]["message"] == (f"the content type '{content_type}' is not JSON and the body "
                                        "does not parse as JSON")
    assert "Content-Type: application/json" in body["error"]["hint"]


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain"])
def test_json_body_is_taken_whatever_its_declared_type(content_type):
    # `curl -d '{"data": ...}'` without -H declares application/x-www-form-urlencoded
    rt, _ = runtime()
    ok_status, ok = answer(rt.handle(http_event({"data": [GOOD]}), Context()))
    status, body = answer(
        rt.handle(http_event({"data": [GOOD]}, headers={"content-type": content_type}), Context())
    )
    assert (status, body) == (ok_status, ok) and status == 200


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "application/vnd.api+json", "APPLICATION/JSON", None]
)
def test_json_content_types_are_accepted(content_type):
    rt, _ = runtime()
    event = http_event({"data": [GOOD]})
    if content_type is None:
        event["headers"] = {}
    else:
        event["headers"] = {"Content-Type": content_type}
    assert rt.handle(event, Context())["statusCode"] == 200


def test_huge_body_is_413():
    rt, _ = runtime()
    row = "[1.0,2.0,3.0,4.0],"
    raw = '{"data": [' + row * (SIX_MB // len(row) + 1) + "[1,2,3,4]]}"
    status, body = answer(rt.handle(http_event(raw=raw), Context()))
    assert status == 413
    assert body["error"]["message"] == "the body is over 6 MB, Lambda's payload limit"


def test_huge_base64_body_is_413_without_decoding():
    event = load_event("apigw-rest-proxy.json")
    event["path"] = "/predict"
    event["body"] = "A" * (SIX_MB * 4 // 3 + 100)
    rt, _ = runtime()
    assert rt.handle(event, Context())["statusCode"] == 413


def test_probabilities_on_a_model_without_them():
    rt, _ = runtime(ImageMean())
    status, body = answer(
        rt.handle(http_event({"data": [[[0] * 3] * 2], "parameters": {"probabilities": True}}), Context())
    )
    assert (status, body["error"]["message"]) == (400, "this model cannot return probabilities")


def test_bad_probabilities_query():
    rt, _ = runtime()
    event = http_event({"data": [GOOD]})
    event["rawQueryString"] = "probabilities=maybe"
    assert (
        answer(rt.handle(event, Context()))[1]["error"]["message"]
        == "?probabilities=maybe must be true or false"
    )


def test_image_shape_messages():
    rt, _ = runtime(ImageMean())
    status, body = answer(rt.handle(http_event({"data": [[[1, 2, 3], [4, 5]]]}), Context()))
    assert (status, body["error"]["message"]) == (400, "row 0 at [1] has 2 values; the model expects 3")


def test_ragged_rows_with_a_free_dimension():
    from lambdaserve.runtime.signature import Signature, TensorSpec

    class Sequences(ImageMean):
        signature = Signature(inputs=(TensorSpec("tokens", "int64", (None, None)),))

    rt, _ = runtime(Sequences())
    status, body = answer(rt.handle(http_event({"data": [[1, 2, 3], [1, 2]]}), Context()))
    assert status == 400
    assert (
        body["error"]["message"] == "row 1 has shape [2]; row 0 has [3] (every row must have the same shape)"
    )
    _, body = answer(rt.handle(http_event({"data": [[1, 2.5]]}), Context()))
    assert body["error"]["message"] == "row 0, column 1: 2.5 is not an integer"


def test_two_input_messages_name_the_input():
    rt, _ = runtime(TwoInputs())
    cases = {
        json.dumps({"data": [{"x": [1, 2]}]}): "row 0 is missing input 'k'",
        json.dumps({"data": [{"x": [1, 2], "k": 1, "z": 0}]}): "row 0 names unknown input 'z'",
        json.dumps({"data": [{"x": [1], "k": 1}]}): "input 'x', row 0 has 1 feature; the model expects 2",
        json.dumps(
            {"data": {"x": [[1, 2]], "k": [1, 2]}}
        ): "the inputs have different numbers of rows: x=1, k=2",
        json.dumps({"data": [[1, 2]]}): "row 0 is a list; this model has several inputs",
    }
    for raw, message in cases.items():
        status, body = answer(rt.handle(http_event(raw=raw), Context()))
        assert status == 400, raw
        assert body["error"]["message"].startswith(message), (raw, body)


def test_number_with_too_many_digits():
    rt, _ = runtime()
    raw = '{"data": [[1, 2, 3, ' + "9" * 5000 + "]]}"
    status, body = answer(rt.handle(http_event(raw=raw), Context()))
    assert (status, body["error"]["message"]) == (400, "the body holds a number with too many digits")


def test_http_event_with_fields_of_the_wrong_type_is_still_answered():
    rt, _ = runtime()
    event = load_event("apigw-http-v2.json")
    event["rawPath"] = "/predict"
    event["requestContext"]["http"] = "POST"  # no method to read: taken as GET
    event["headers"] = ["content-type"]
    status, body = answer(rt.handle(event, Context()))
    assert status == 405
    assert body["error"]["message"] == "/predict does not accept GET"
