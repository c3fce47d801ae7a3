"""Tiny real models implementing the runtime's Model protocol, and helpers to drive a Runtime."""

from __future__ import annotations

import copy
import io
import json
import math
from pathlib import Path
from typing import Any

from lambdaserve.runtime.app import Runtime
from lambdaserve.runtime.settings import RuntimeSettings
from lambdaserve.runtime.signature import ColumnSpec, Signature, TensorSpec
from lambdaserve.runtime.telemetry import Telemetry

EVENTS = Path(__file__).resolve().parents[1] / "events"
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of a committed event (tests/events/*.json) to edit."""
    return copy.deepcopy(json.loads((EVENTS / name).read_text(encoding="utf-8")))


class SumClassifier:
    """Class 1 when a row's sum is positive; probabilities from a logistic of the sum."""

    framework = "test"

    def __init__(self, feature_names: tuple[str, ...] | None = FEATURES) -> None:
        self.signature = Signature(
            inputs=(TensorSpec("input", "float32", (None, 4)),),
            outputs=(TensorSpec("label", "int64", (None,)),),
            feature_names=feature_names,
            classes=(0, 1),
            has_proba=True,
        )
        self.calls: list[tuple[dict[str, list[Any]], bool]] = []

    def predict(self, inputs: dict[str, list[Any]], probabilities: bool = False) -> dict[str, Any]:
        self.calls.append((inputs, probabilities))
        sums = [sum(row) for row in inputs["input"]]
        out: dict[str, Any] = {"label": [int(s > 0) for s in sums]}
        if probabilities:
            p1 = [1 / (1 + math.exp(-max(min(s, 50.0), -50.0))) for s in sums]
            out["probabilities"] = [[1 - p, p] for p in p1]
        return out

    def versions(self) -> dict[str, str]:
        return {"test": "1.0"}


class ImageMean:
    """Rows are 2x3 images; the answer is each image's mean."""

    framework = "test"
    signature = Signature(
        inputs=(TensorSpec("image", "float32", (None, 2, 3)),),
        outputs=(TensorSpec("mean", "float32", (None,)),),
    )

    def predict(self, inputs: dict[str, list[Any]], probabilities: bool = False) -> dict[str, Any]:
        return {"mean": [sum(sum(r) for r in img) / 6 for img in inputs["image"]]}

    def versions(self) -> dict[str, str]:
        return {}


class TwoInputs:
    """Inputs x (2 floats) and k (an int64 scalar): y = k * (x0 + x1)."""

    framework = "test"
    signature = Signature(
        inputs=(TensorSpec("x", "float32", (None, 2)), TensorSpec("k", "int64", (None,))),
        outputs=(TensorSpec("y", "float64", (None,)),),
    )

    def predict(self, inputs: dict[str, list[Any]], probabilities: bool = False) -> dict[str, Any]:
        return {"y": [k * (x[0] + x[1]) for x, k in zip(inputs["x"], inputs["k"], strict=True)]}

    def versions(self) -> dict[str, str]:
        return {}


class FreeForm:
    """No declared signature (a custom predictor without one): echoes the row count."""

    framework = "custom"
    signature = Signature(inputs=(), source="unknown")

    def predict(self, inputs: dict[str, list[Any]], probabilities: bool = False) -> dict[str, Any]:
        return {"prediction": [len(inputs["input"])] * len(inputs["input"])}

    def versions(self) -> dict[str, str]:
        return {}


class TableScore:
    """A table of mixed types; predict insists every value has its column's type (a 500 otherwise)."""

    framework = "test"
    signature = Signature.table(
        (ColumnSpec("age", "int64", nullable=True, example=30), ColumnSpec("income", "float32"),
         ColumnSpec("city", "string", categories=("Lyon", "Paris")), ColumnSpec("member", "bool")),
        outputs=(TensorSpec("score", "float64", (None,)),),
    )

    def predict(self, inputs: dict[str, list[Any]], probabilities: bool = False) -> dict[str, Any]:
        assert list(inputs) == ["age", "income", "city", "member"]
        assert all(v is None or type(v) is int for v in inputs["age"])
        assert all(type(v) in (int, float) and math.isfinite(v) for v in inputs["income"])
        assert all(v in ("Lyon", "Paris") for v in inputs["city"])
        assert all(type(v) is bool for v in inputs["member"])
        return {"score": [float(i or 0) + m for i, m in zip(inputs["age"], inputs["member"], strict=True)]}

    def versions(self) -> dict[str, str]:
        return {}


class Exploding(SumClassifier):
    """Fails the way a framework does: a message full of paths and type names."""

    def predict(self, inputs: dict[str, list[Any]], probabilities: bool = False) -> dict[str, Any]:
        raise ValueError("numpy.core._exceptions._UFuncNoLoopError at /opt/python/sklearn/base.py line 3")


class NaNOutput(SumClassifier):
    def predict(self, inputs: dict[str, list[Any]], probabilities: bool = False) -> dict[str, Any]:
        return {"label": [float("nan")] * len(inputs["input"])}


def settings(**env: str) -> RuntimeSettings:
    base = {"LAMBDASERVE_NAME": "iris", "LAMBDASERVE_MODEL_DIR": "/nonexistent"}
    base.update(env)
    return RuntimeSettings.from_env(base)


class Context:
    """The part of Lambda's context object the runtime reads."""

    def __init__(self, request_id: str = "req-1", function_name: str = "iris") -> None:
        self.aws_request_id = request_id
        self.function_name = function_name


def runtime(model: Any = None, **env: str) -> tuple[Runtime, io.StringIO]:
    """A Runtime whose log lines land in the returned StringIO."""
    stream = io.StringIO()
    rt = Runtime(
        model if model is not None else SumClassifier(),
        settings(**env),
        telemetry=Telemetry("iris", stream=stream, clock=lambda: 1700000000.0),
    )
    return rt, stream


def log_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


def http_event(
    body: Any = None,
    *,
    path: str = "/predict",
    method: str = "POST",
    headers: dict[str, str] | None = None,
    raw: str | None = None,
) -> dict[str, Any]:
    """The sam-generated HTTP API (v2) event with our body, path and method."""
    event = load_event("apigw-http-v2.json")
    event["rawPath"] = path
    event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["headers"] = {"content-type": "application/json", **(headers or {})}
    event["isBase64Encoded"] = False
    event["rawQueryString"] = ""
    event["queryStringParameters"] = {}
    if raw is not None:
        event["body"] = raw
    elif body is None:
        event.pop("body", None)
    else:
        event["body"] = json.dumps(body)
    return event


def answer(result: dict[str, Any]) -> tuple[int, Any]:
    """(status, parsed body) of an HTTP-shaped result."""
    return result["statusCode"], json.loads(result["body"]) if result["body"] else None
