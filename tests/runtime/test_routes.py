"""The four routes, 404/405, CORS and the predict answers of each body format."""

from __future__ import annotations

import platform

from lambdaserve import __version__
from tests.runtime.support import (
    Context,
    FreeForm,
    ImageMean,
    NaNOutput,
    SumClassifier,
    TwoInputs,
    answer,
    http_event,
    log_lines,
    runtime,
)

IRIS = [[5.1, 3.5, 1.4, 0.2], [-6.0, -1.0, -1.0, -1.0]]


def test_health():
    rt, _ = runtime()
    assert answer(rt.handle(http_event(path="/health", method="GET"), Context())) == (
        200,
        {"status": "ok", "framework": "test"},
    )


def test_metadata():
    rt, _ = runtime()
    status, body = answer(rt.handle(http_event(path="/metadata", method="GET"), Context()))
    assert status == 200
    assert body["framework"] == "test" and body["name"] == "iris"
    assert body["signature"]["inputs"] == [{"name": "input", "dtype": "float32", "shape": [None, 4]}]
    assert body["signature"]["feature_names"] == [
        "sepal_length",
        "sepal_width",
        "petal_length",
        "petal_width",
    ]
    assert body["versions"] == {"test": "1.0"}
    assert body["python"] == platform.python_version()
    assert body["lambdaserve"] == __version__


def test_openapi_route_serves_the_document():
    rt, _ = runtime(LAMBDASERVE_API_PATH="/model_x_inference")
    status, body = answer(rt.handle(http_event(path="/openapi.json", method="GET"), Context()))
    assert status == 200
    assert body["openapi"] == "3.1.0"
    assert "/model_x_inference" in body["paths"]


def test_custom_api_path():
    rt, _ = runtime(LAMBDASERVE_API_PATH="model_x_inference")
    ok = rt.handle(http_event({"data": IRIS}, path="/model_x_inference"), Context())
    assert answer(ok) == (200, {"predictions": [1, 0]})
    assert rt.handle(http_event({"data": IRIS}, path="/predict"), Context())["statusCode"] == 404


def test_trailing_slash_is_the_same_route():
    rt, _ = runtime()
    assert rt.handle(http_event({"data": IRIS}, path="/predict/"), Context())["statusCode"] == 200


def test_unknown_route_is_404_listing_the_routes():
    rt, _ = runtime()
    status, body = answer(rt.handle(http_event(path="/nope", method="GET"), Context()))
    assert status == 404
    assert body["error"]["message"] == "no route for GET /nope"
    assert "POST /predict" in body["error"]["hint"]


def test_wrong_method_is_405_with_allow():
    rt, _ = runtime()
    result = rt.handle(http_event(path="/predict", method="GET"), Context())
    assert result["statusCode"] == 405
    assert result["headers"]["Allow"] == "POST, OPTIONS"
    assert answer(rt.handle(http_event({}, path="/health", method="DELETE"), Context()))[0] == 405


def test_cors_echoes_an_allowed_origin_only():
    rt, _ = runtime(LAMBDASERVE_CORS_ORIGINS="https://a.example, https://b.example")
    ok = rt.handle(http_event({"data": IRIS}, headers={"Origin": "https://b.example"}), Context())
    assert ok["headers"]["Access-Control-Allow-Origin"] == "https://b.example"
    assert ok["headers"]["Vary"] == "Origin"
    other = rt.handle(http_event({"data": IRIS}, headers={"origin": "https://evil.example"}), Context())
    assert "Access-Control-Allow-Origin" not in other["headers"]


def test_cors_preflight():
    rt, _ = runtime(LAMBDASERVE_CORS_ORIGINS="*")
    result = rt.handle(
        http_event(
            method="OPTIONS",
            headers={
                "origin": "https://x.example",
                "access-control-request-headers": "content-type,x-api-key",
            },
        ),
        Context(),
    )
    assert result["statusCode"] == 204 and result["body"] == ""
    assert result["headers"]["Access-Control-Allow-Origin"] == "*"
    assert result["headers"]["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    assert result["headers"]["Access-Control-Allow-Headers"] == "content-type,x-api-key"


def test_no_cors_headers_without_settings():
    rt, _ = runtime()
    result = rt.handle(http_event({"data": IRIS}, headers={"origin": "https://a.example"}), Context())
    assert not any(h.startswith("Access-Control") for h in result["headers"])


def test_instances_and_feature_name_rows():
    rt, _ = runtime()
    named = [
        dict(zip(("sepal_length", "sepal_width", "petal_length", "petal_width"), row, strict=True))
        for row in IRIS
    ]
    assert answer(rt.handle(http_event({"instances": named}), Context())) == (200, {"predictions": [1, 0]})


def test_probabilities_by_body_and_by_query():
    rt, _ = runtime()
    _, body = answer(rt.handle(http_event({"data": IRIS, "parameters": {"probabilities": True}}), Context()))
    assert [p["label"] for p in body["predictions"]] == [1, 0]
    assert all(abs(sum(p["probabilities"]) - 1) < 1e-9 for p in body["predictions"])
    event = http_event({"data": IRIS})
    event["rawQueryString"] = "probabilities=true"
    _, body = answer(rt.handle(event, Context()))
    assert set(body["predictions"][0]) == {"label", "probabilities"}


def test_probabilities_default_from_settings():
    model = SumClassifier()
    rt, _ = runtime(model, LAMBDASERVE_PROBABILITIES="true")
    rt.handle({"data": IRIS}, Context())
    rt.handle({"data": IRIS, "parameters": {"probabilities": False}}, Context())
    assert [p for _, p in model.calls] == [True, False]


def test_oip_request_and_answer():
    rt, _ = runtime()
    body = {
        "id": "abc",
        "inputs": [
            {
                "name": "input",
                "shape": [2, 4],
                "datatype": "FP32",
                "data": [5.1, 3.5, 1.4, 0.2, -6.0, -1.0, -1.0, -1.0],
            }
        ],
    }
    status, out = answer(rt.handle(http_event(body), Context()))
    assert status == 200
    assert out == {
        "model_name": "iris",
        "id": "abc",
        "outputs": [{"name": "label", "shape": [2], "datatype": "INT64", "data": [1, 0]}],
    }


def test_oip_multi_dimensional_tensor_is_row_major():
    rt, _ = runtime(ImageMean())
    flat = [0, 1, 2, 3, 4, 5, 6, 6, 6, 6, 6, 6]
    body = {"inputs": [{"name": "image", "shape": [2, 2, 3], "datatype": "FP32", "data": flat}]}
    status, out = answer(rt.handle(http_event(body), Context()))
    assert status == 200
    assert out["outputs"][0]["data"] == [2.5, 6.0]


def test_oip_probabilities_output_is_flat_with_its_shape():
    rt, _ = runtime()
    body = {
        "inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP64", "data": [[1, 1, 1, 1]]}],
        "parameters": {"probabilities": True},
    }
    _, out = answer(rt.handle(http_event(body), Context()))
    probs = next(o for o in out["outputs"] if o["name"] == "probabilities")
    assert probs["shape"] == [1, 2] and probs["datatype"] == "FP64" and len(probs["data"]) == 2


def test_two_inputs_row_objects_and_columns():
    rt, _ = runtime(TwoInputs())
    rows = [{"x": [1, 2], "k": 2}, {"x": [0.5, 0.5], "k": 3}]
    assert rt.handle({"instances": rows}, Context()) == {"predictions": [6, 3.0]}
    columns = {"x": [[1, 2], [0.5, 0.5]], "k": [2, 3]}
    assert rt.handle({"data": columns}, Context()) == {"predictions": [6, 3.0]}
    oip = {
        "inputs": [
            {"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 1]},
            {"name": "k", "shape": [1], "datatype": "INT64", "data": [5]},
        ]
    }
    assert rt.handle(oip, Context())["outputs"][0]["data"] == [10]


def test_free_form_model_takes_any_rows():
    rt, _ = runtime(FreeForm())
    assert rt.handle({"data": [[1, [2, "a"]], [True]]}, Context()) == {"predictions": [2, 2]}


def test_nan_outputs_become_null_with_a_warning():
    rt, stream = runtime(NaNOutput())
    status, body = answer(rt.handle(http_event({"data": IRIS}), Context()))
    assert (status, body) == (200, {"predictions": [None, None]})
    warning = next(line for line in log_lines(stream) if line["level"] == "WARNING")
    assert warning["count"] == 2 and "NaN" in warning["message"]
