"""Real models (tests/models.py) through real API Gateway events: the same answers as the framework."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest

from lambdaserve.runtime.app import Runtime
from lambdaserve.runtime.telemetry import Telemetry
from tests import models
from tests.runtime.support import Context, answer, load_event

FACTORIES = {
    "sklearn": models.sklearn_classifier,
    "sklearn-regressor": models.sklearn_regressor,
    "onnx": models.onnx_classifier,
    "torchscript": models.torchscript_mlp,
    "xgboost": models.xgboost_model,
}


def _runtime(made: models.Made) -> Runtime:
    settings = models.runtime_settings(
        made.path, made.framework, signature=made.signature, predictor=made.predictor
    )
    return Runtime.from_settings(settings, telemetry=Telemetry("test-model", stream=io.StringIO()))


def _rest_event(body: dict) -> dict:
    # for parity: REST proxy events from `sam local generate-event` carry a base64 body.
    event = load_event("apigw-rest-proxy.json")
    event["path"] = "/predict"
    event["body"] = base64.b64encode(json.dumps(body).encode()).decode()
    return event


def _close(got, want) -> bool:
    return np.allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", list(FACTORIES))
def test_rows_through_a_rest_event_match_the_framework(tmp_path, name):
    made = FACTORIES[name](tmp_path)
    rt = _runtime(made)
    status, body = answer(rt.handle(_rest_event({"data": made.rows}), Context()))
    assert status == 200, body
    first = next(iter(made.expected.values()))  # without probabilities: the label (or the only output)
    assert _close(body["predictions"], first)


@pytest.mark.parametrize("name", ["sklearn", "onnx", "xgboost"])
def test_probabilities_match_the_framework(tmp_path, name):
    made = FACTORIES[name](tmp_path)
    rt = _runtime(made)
    status, body = answer(
        rt.handle(_rest_event({"data": made.rows, "parameters": {"probabilities": True}}), Context())
    )
    assert status == 200, body
    assert _close([p["probabilities"] for p in body["predictions"]], made.expected["probabilities"])
    assert _close([p["label"] for p in body["predictions"]], made.expected["label"])


def test_oip_through_an_http_api_event_matches_onnx(tmp_path):
    made = models.onnx_two_inputs(tmp_path)
    rt = _runtime(made)
    inputs = made.extra["inputs"]
    event = load_event("apigw-http-v2.json")
    event["rawPath"] = "/predict"
    event["isBase64Encoded"] = False
    event["body"] = json.dumps(
        {
            "inputs": [
                {"name": "a", "shape": [2, 3], "datatype": "FP32", "data": sum(inputs["a"], [])},
                {"name": "b", "shape": [2, 3], "datatype": "FP64", "data": sum(inputs["b"], [])},
            ]
        }
    )
    status, body = answer(rt.handle(event, Context()))
    assert status == 200, body
    (out,) = body["outputs"]
    assert (out["name"], out["shape"], out["datatype"]) == ("sum", [2, 3], "FP32")
    assert _close(out["data"], made.expected["sum"].ravel())


def test_custom_predictor_through_a_function_url_event(tmp_path):
    made = models.custom_predictor(tmp_path, module="h1_custom_predictor")
    rt = _runtime(made)
    event = load_event("function-url.json")
    event["rawPath"] = "/predict"
    event["body"] = json.dumps({"instances": made.rows})
    status, body = answer(rt.handle(event, Context()))
    assert status == 200, body
    assert _close(body["predictions"], made.expected["label"])
