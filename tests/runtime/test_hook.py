"""The pre-traffic hook's replay, without Lambda: what counts as a pass and what is logged."""

from __future__ import annotations

import base64
import json

from lambdaserve.runtime.golden import GoldenRequest, GoldenSet
from lambdaserve.runtime.hook import http_event, proxy_answer, replay

REQUEST = GoldenRequest("row 1", {"data": [[1, 2]]}, "/predict", "probabilities=true",
                        answer={"predictions": [0]})


def _proxy(status: int, body: object, *, b64: bool = False) -> bytes:
    text = json.dumps(body)
    if b64:
        text = base64.b64encode(text.encode()).decode()
    return json.dumps({"statusCode": status, "headers": {}, "body": text, "isBase64Encoded": b64}).encode()


def test_the_event_is_an_http_api_request_with_the_golden_body_and_query() -> None:
    event = http_event(REQUEST)
    # for parity: HTTP API payload 2.0 carries method in requestContext.http, a string body.
    assert event["version"] == "2.0" and event["requestContext"]["http"]["method"] == "POST"
    assert event["rawPath"] == "/predict" and event["rawQueryString"] == "probabilities=true"
    assert json.loads(event["body"]) == {"data": [[1, 2]]}


def test_proxy_answers_are_read_as_the_api_would_return_them() -> None:
    assert proxy_answer(_proxy(200, {"a": 1}), None) == (200, b'{"a": 1}')
    assert proxy_answer(_proxy(200, {"a": 1}, b64=True), None) == (200, b'{"a": 1}')
    # A raising function or a malformed answer is API Gateway's 502.
    assert proxy_answer(b'{"errorMessage": "boom"}', "Unhandled")[0] == 502
    assert proxy_answer(b'{"no": "statusCode"}', None)[0] == 502


def test_every_request_runs_and_each_failure_names_what_was_sent_and_got() -> None:
    second = GoldenRequest("row 2", {"data": [[3, 4]]}, "/predict", answer={"predictions": [1]})
    golden = GoldenSet((REQUEST, second))
    answers = iter([_proxy(200, {"predictions": [1]}), _proxy(200, {"predictions": [1]})])
    lines: list[str] = []
    tail = base64.b64encode(b"START RequestId: x\nEND RequestId: x\n").decode()
    result = replay(golden, lambda payload: (next(answers), None, tail), lines.append)
    assert result.status == "Failed" and result.passed == 1
    assert len(result.failures) == 1
    assert result.failures[0].startswith("FAIL row 1: POST /predict?probabilities=true")
    assert "predictions[0]: 1 instead of 0" in result.failures[0]
    assert any("START RequestId: x" in line for line in lines)  # the new version's own log lines


def test_an_empty_golden_set_is_not_a_pass() -> None:
    result = replay(GoldenSet(()), lambda payload: (b"", None, ""), lambda line: None)
    assert result.status == "Failed"


def test_all_recorded_answers_pass() -> None:
    result = replay(GoldenSet((REQUEST,)), lambda payload: (_proxy(200, {"predictions": [0]}), None, ""),
                    lambda line: None)
    assert (result.status, result.passed, result.failures) == ("Succeeded", 1, ())
