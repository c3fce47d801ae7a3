"""The per-request JSON line (with its EMF metrics), cold starts, and what a 500 shows."""

from __future__ import annotations

import io
import json

import pytest

from lambdaserve.runtime.telemetry import Telemetry
from tests.runtime.support import Context, Exploding, answer, http_event, log_lines, runtime

ROW = [5.1, 3.5, 1.4, 0.2]


def test_one_line_per_request_with_emf_metrics():
    rt, stream = runtime()
    rt.handle(http_event({"data": [ROW, ROW, ROW]}), Context("r-1"))
    (line,) = log_lines(stream)
    assert line["message"] == "request"
    assert {
        k: line[k] for k in ("request_id", "cold_start", "rows", "status", "route", "source", "method")
    } == {
        "request_id": "r-1",
        "cold_start": True,
        "rows": 3,
        "status": 200,
        "route": "/predict",
        "source": "apigw-http",
        "method": "POST",
    }
    assert line["duration_ms"] >= 0 and line["Latency"] == line["duration_ms"]
    # EMF: CloudWatch turns these members into metrics of namespace lambdaserve, per function.
    directive = line["_aws"]["CloudWatchMetrics"][0]
    assert line["_aws"]["Timestamp"] == 1700000000000
    assert directive["Namespace"] == "lambdaserve"
    assert directive["Dimensions"] == [["FunctionName"]]
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
        "Latency": "Milliseconds",
        "Errors": "Count",
        "ClientErrors": "Count",
        "ColdStart": "Count",
    }
    assert line["FunctionName"] == "iris"
    assert (line["Errors"], line["ClientErrors"], line["ColdStart"]) == (0, 0, 1)


def test_only_the_first_request_is_cold():
    rt, stream = runtime()
    for _ in range(3):
        rt.handle({"data": [ROW]}, Context())
    assert [line["cold_start"] for line in log_lines(stream)] == [True, False, False]
    assert [line["ColdStart"] for line in log_lines(stream)] == [1, 0, 0]


def test_client_error_is_logged_with_its_message():
    rt, stream = runtime()
    rt.handle(http_event({"data": [[1]]}), Context())
    (line,) = log_lines(stream)
    assert (line["status"], line["ClientErrors"], line["Errors"]) == (400, 1, 0)
    assert line["error"] == "row 0 has 1 feature; the model expects 4"


def test_500_carries_only_the_request_id():
    rt, stream = runtime(Exploding())
    result = rt.handle(http_event({"data": [ROW]}), Context("req-500"))
    status, body = answer(result)
    assert status == 500
    assert body == {
        "error": {
            "status": 500,
            "message": "internal error; quote the request id when you report it",
            "request_id": "req-500",
        }
    }
    for leak in ("ValueError", "numpy", "/opt/python", "sklearn", "Traceback"):
        assert leak not in result["body"]
    traceback_line, request_line = log_lines(stream)
    assert traceback_line["level"] == "ERROR" and traceback_line["request_id"] == "req-500"
    assert traceback_line["error_type"] == "ValueError"
    assert "Traceback (most recent call last)" in traceback_line["traceback"]
    assert "/opt/python/sklearn/base.py" in traceback_line["traceback"]
    assert (request_line["status"], request_line["Errors"]) == (500, 1)


def test_a_direct_invoke_re_raises_so_lambda_reports_the_error_type():
    # for parity: an Invoke API caller sees FunctionError Unhandled with the exception's errorType.
    rt, stream = runtime(Exploding())
    with pytest.raises(ValueError):
        rt.handle({"data": [ROW]}, Context("d-1"))
    assert "Traceback" in stream.getvalue() and "d-1" in stream.getvalue()


def test_model_output_that_does_not_fit_is_a_500():
    class Short(Exploding):
        def predict(self, inputs, probabilities=False):
            return {"label": [1]}

    rt, stream = runtime(Short())
    assert answer(rt.handle(http_event({"data": [ROW, ROW]}), Context()))[0] == 500
    assert "output 'label' has 1 rows for 2 inputs" in log_lines(stream)[0]["traceback"]


def test_lines_are_pure_json_for_emf():
    stream = io.StringIO()
    telemetry = Telemetry("fn", stream=stream)
    telemetry.log("INFO", "init", model_load_ms=1.5)
    telemetry.request(
        request_id="x",
        cold_start=False,
        duration_ms=2.0,
        rows=1,
        status=200,
        route="/predict",
        source="direct",
        method="POST",
    )
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0]) == {
        "level": "INFO",
        "message": "init",
        "function": "fn",
        "model_load_ms": 1.5,
    }
    assert json.loads(lines[1])["FunctionName"] == "fn"
