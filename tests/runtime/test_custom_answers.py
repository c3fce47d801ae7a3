"""What a custom predictor may answer, served: per row a JSON object, numpy scalars, arrays of any
shape, rows of different lengths. The {"data"} answer is exactly the predictor's own (as JSON); an
Open Inference Protocol answer is a tensor whose shape fits its data, or a 400 saying to ask with
{"data"}, never a shape that disagrees with the values."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lambdaserve.runtime.app import Runtime
from lambdaserve.runtime.loaders import load_model
from tests import models
from tests.runtime.support import Context, answer, http_event, settings

SOURCE = '''
import numpy as np


class Predictor:
    signature = {"inputs": [{"name": "input", "dtype": "float64", "shape": [-1, 3]}]}

    def load(self, model_dir):
        pass

    def predict(self, inputs):
        x = np.asarray(inputs["input"])
        return {OUTPUTS}
'''
OUTPUTS = {
    "objects": '[{"score": float(r.sum()), "tag": "hi" if r[0] > 0 else "lo"} for r in x]',
    "ragged": '{"ragged": [np.arange(i + 1, dtype=np.int32) for i in range(len(x))]}',
    "tensors": '{"total": x.sum(axis=1).astype(np.float32), '
               '"pairs": np.stack([x[:, :2], x[:, 1:]], axis=1), '
               '"count": [np.int64(i) for i in range(len(x))], '
               '"half": [np.float16(0.5) * i for i in range(len(x))]}',
}
ROWS = [[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0], [0.25, -2.0, 0.0]]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value.tolist() if hasattr(value, "tolist") else value


def _served(tmp_path: Path, kind: str) -> tuple[Any, Runtime]:
    module = f"answers_{kind}_{id(tmp_path)}"
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(SOURCE).replace("{OUTPUTS}", OUTPUTS[kind]))
    (tmp_path / "model").mkdir()
    model = load_model(models.runtime_settings(tmp_path / "model", predictor=f"{module}:Predictor"))
    return model.predictor, Runtime(model, settings())


@pytest.mark.parametrize("kind", list(OUTPUTS))
def test_the_data_answer_is_the_predictors_own(tmp_path: Path, kind: str) -> None:
    predictor, rt = _served(tmp_path, kind)
    status, body = answer(rt.handle(http_event({"data": ROWS}), Context()))
    assert status == 200, body
    own = _plain(predictor.predict({"input": ROWS}))
    rows = own if isinstance(own, list) else [{k: v[i] for k, v in own.items()} for i in range(len(ROWS))]
    expected = [next(iter(r.values())) for r in rows] if isinstance(own, dict) and len(own) == 1 else rows
    assert body["predictions"] == expected


@pytest.mark.parametrize("kind", ["objects", "ragged"])
def test_an_answer_no_tensor_can_carry_is_a_400_for_an_oip_request(tmp_path: Path, kind: str) -> None:
    _, rt = _served(tmp_path, kind)
    tensor = {"name": "input", "shape": [3, 3], "datatype": "FP64", "data": sum(ROWS, [])}
    status, body = answer(rt.handle(http_event({"inputs": [tensor]}), Context()))
    assert status == 400, body
    assert "which an Open Inference Protocol tensor cannot carry" in body["error"]["message"]
    assert body["error"]["hint"].startswith('Send the rows as {"data": [...]}')


def test_an_oip_answer_of_tensors_keeps_each_shape_and_its_values(tmp_path: Path) -> None:
    predictor, rt = _served(tmp_path, "tensors")
    tensor = {"name": "input", "shape": [3, 3], "datatype": "FP64", "data": sum(ROWS, [])}
    status, body = answer(rt.handle(http_event({"inputs": [tensor]}), Context()))
    assert status == 200, body
    own = predictor.predict({"input": ROWS})
    for out in body["outputs"]:
        want = np.asarray(own[out["name"]])
        assert out["shape"] == list(want.shape)
        assert np.array_equal(np.asarray(out["data"]).reshape(out["shape"]), want)
