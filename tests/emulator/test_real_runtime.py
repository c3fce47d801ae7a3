"""The real lambdaserve runtime (lambdaserve.runtime.handler) inside awslambdaric workers."""

from __future__ import annotations

import json
from pathlib import Path

from tests.emulator.lambda_helpers import HANDLERS, running


def _runtime(predictor: str):
    env = {
        "LAMBDASERVE_FRAMEWORK": "custom",
        "LAMBDASERVE_PREDICTOR": f"predictors:{predictor}",
        "LAMBDASERVE_MODEL_DIR": str(HANDLERS),
        "LAMBDASERVE_WARMUP": "0",
    }
    return running("lambdaserve.runtime.handler.lambda_handler", environment=env, memory_mb=512,
                   timeout_s=20, name="model")


def _predict(function):
    result = function.invoke(json.dumps({"data": [[1, 2]]}).encode())
    return json.loads(result.payload), result


def test_prediction_through_the_real_runtime():
    with _runtime("Doubler") as function:
        body, result = _predict(function)
        assert result.function_error is None and body == {"predictions": [[2, 4]]}
        again, warm = _predict(function)
        assert again == body and not warm.cold_start


def test_exception_in_load_is_an_init_error():
    with _runtime("FailsInLoad") as function:
        body, result = _predict(function)
        # for parity: an exception at import reaches the client as the init error of the invoke
        assert result.function_error == "Unhandled"
        assert body["errorType"] == "ModelLoadError"
        assert "weights file is corrupt" in body["errorMessage"]
        assert "Status: error\tError Type: ModelLoadError" in result.log_tail


def test_exception_in_predict_is_unhandled_for_a_direct_invoke_and_the_environment_stays():
    with _runtime("FailsInPredict") as function:
        body, result = _predict(function)
        # for parity: a handler that raises reaches Invoke API callers as FunctionError Unhandled
        assert result.function_error == "Unhandled"
        assert body["errorType"] == "ZeroDivisionError"
        assert "ZeroDivisionError" in result.log_tail  # the reason is in this invocation's log
        _, again = _predict(function)
        assert not again.cold_start


def test_http_api_event_through_a_worker_gets_a_proxy_answer():
    event = json.loads((Path(__file__).parents[1] / "events" / "apigw-http-v2.json").read_text())
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/predict"
    event["body"], event["isBase64Encoded"] = json.dumps({"data": [[3, 4]]}), False
    with _runtime("Doubler") as function:
        result = function.invoke(json.dumps(event).encode())
        answer = json.loads(result.payload)
        # for parity: an HTTP API (v2) event is answered with a proxy response, body as a string
        assert answer["statusCode"] == 200 and result.function_error is None
        assert json.loads(answer["body"]) == {"predictions": [[6, 8]]}


def test_exception_in_predict_behind_api_gateway_is_a_500_with_only_the_request_id():
    event = json.loads((Path(__file__).parents[1] / "events" / "apigw-http-v2.json").read_text())
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/predict"
    event["body"], event["isBase64Encoded"] = json.dumps({"data": [[3, 4]]}), False
    with _runtime("FailsInPredict") as function:
        result = function.invoke(json.dumps(event).encode())
        answer = json.loads(result.payload)
        assert result.function_error is None and answer["statusCode"] == 500
        body = json.loads(answer["body"])
        assert body["error"]["request_id"] == result.request_id
        assert "ZeroDivision" not in answer["body"]  # the traceback stays in the log
        assert "ZeroDivisionError" in result.log_tail
