"""Open Inference Protocol shapes and answers a client or a predictor gets wrong on purpose.

A shape is checked (rank, each dimension, against the signature) before any arithmetic, so a
95-byte request cannot make the runtime build 10**12 lists or multiply 420 4,300-digit numbers.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.runtime.support import (
    Context,
    FreeForm,
    ImageMean,
    SumClassifier,
    answer,
    http_event,
    log_lines,
    runtime,
)


def _oip(shape: Any, data: Any, name: str = "input", datatype: str = "FP32") -> dict[str, Any]:
    return {"inputs": [{"name": name, "shape": shape, "datatype": datatype, "data": data}]}


def _ask(model: Any, body: dict[str, Any] | str) -> tuple[int, Any]:
    rt, _ = runtime(model)
    raw = body if isinstance(body, str) else json.dumps(body)
    return answer(rt.handle(http_event(raw=raw), Context()))


@pytest.mark.parametrize(
    "shape",
    [
        [10**2200, 10**2200],  # its product's digits overflow int -> str in the message
        [10**4299] * 420,  # 1.8 MB of digits: multiplying them out burns the timeout
        [1, 10**4299],
        [10**30, 4],
    ],
    ids=["two-2200-digit", "420-4300-digit", "huge-width", "huge-batch"],
)
def test_huge_dimensions_are_a_fast_400_naming_them_short(shape: list[int]) -> None:
    for model in (SumClassifier(), FreeForm()):
        status, body = _ask(model, _oip(shape, [5.1, 3.5, 1.4, 0.2]))
        assert status == 400, body
        message = body["error"]["message"]
        assert "shape" in message and len(message) < 400, message


def test_rank_is_checked_against_the_signature_before_the_size() -> None:
    status, body = _ask(ImageMean(), _oip([1, 2, 3, 1], [1, 2, 3, 4, 5, 6], name="image"))
    assert status == 400, body
    assert "has 4 dimensions; the model's [-1, 2, 3] has 3" in body["error"]["message"]
    status, body = _ask(ImageMean(), _oip([10**4299, 2, 3], [1, 2, 3, 4, 5, 6], name="image"))
    assert status == 400 and "a 4300-digit integer" in body["error"]["message"], body


def test_a_deep_shape_without_a_signature_is_refused() -> None:
    status, body = _ask(FreeForm(), _oip([1] * 100_000, [1.0]))
    assert status == 400, body
    assert "dimensions" in body["error"]["message"]


@pytest.mark.parametrize("shape", [[1, 10**12, 0], [1, 0], [2, 3, 0], [0, 4]])
def test_an_empty_tensor_is_refused_before_anything_is_built(shape: list[int]) -> None:
    # [1, 10**12, 0] is 95 bytes; reshaping it built 10**12 empty lists and was OOM-killed
    status, body = _ask(FreeForm(), _oip(shape, []))
    assert status == 400, body
    assert "no values" in body["error"]["message"] or "batch is empty" in body["error"]["message"]
    assert _ask(SumClassifier(), _oip(shape, []))[0] == 400


def test_without_a_signature_every_format_names_the_one_input_input() -> None:
    # one naming rule: rows and OIP tensors both reach the predictor as inputs["input"]
    model = FreeForm()
    assert _ask(model, {"data": [[1, 2]]})[0] == 200
    status, body = _ask(model, _oip([1, 2], [1, 2], name="input"))
    assert status == 200 and body["outputs"][0]["data"] == [1], body
    status, body = _ask(model, _oip([1, 2], [1, 2], name="image"))
    assert status == 400, body
    assert "'input'" in body["error"]["message"] and "signature" in body["error"]["hint"]


class Unserialisable(SumClassifier):
    """Answers an object JSON cannot carry, as a predictor returning a custom class would."""

    def predict(self, inputs: dict[str, list[Any]], probabilities: bool = False) -> dict[str, Any]:
        return {"label": [object() for _ in inputs["input"]]}


def test_an_answer_json_cannot_carry_is_a_500_with_the_type_in_the_log() -> None:
    model = Unserialisable()
    rt, stream = runtime(model)
    status, body = answer(rt.handle(http_event({"data": [[5.1, 3.5, 1.4, 0.2]]}), Context("req-77")))
    assert status == 500, body
    assert body["error"]["request_id"] == "req-77"
    assert "object at 0x" not in json.dumps(body)
    logged = [line for line in log_lines(stream) if line.get("level") == "ERROR"]
    assert logged and "builtins.object" in logged[0]["traceback"], log_lines(stream)
